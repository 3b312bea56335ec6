/** The ordered edge steps (request context, HTTPS, headers, CORS). @internal */
export const EDGE_HANDLERS = 'SECURITY:EDGE_HANDLERS';
/** The `FieldAccessPolicy` (authorization) the GraphQL layer applies to object fields. @internal */
export const FIELD_ACCESS_POLICY = 'SECURITY:FIELD_ACCESS_POLICY';
/** The `ProtectedFieldCatalog` (GraphQL layer) the inventory lists protected object fields from. @internal */
export const PROTECTED_FIELD_CATALOG = 'SECURITY:PROTECTED_FIELD_CATALOG';
