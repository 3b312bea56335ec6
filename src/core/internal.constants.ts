/** The ordered edge steps (request context, HTTPS, headers, CORS). @internal */
export const EDGE_HANDLERS = 'SECURITY:EDGE_HANDLERS';
