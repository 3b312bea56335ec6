/**
 * A step of the HTTP edge, run by the single `SecurityEdgeMiddleware` before routing, in the
 * fixed order of `security.providers.ts`: request id, HTTPS enforcement, security headers, CORS.
 * It sees every request, including preflights and unmatched routes.
 *
 * @internal
 */
export interface EdgeHandler {
  /**
   * Handles one request. `req`/`res` are the Node request and response (Express passes its own
   * subclasses, Fastify the raw ones). Returns `true` when it has ended the response itself
   * (e.g. a preflight), so later steps and the route do not run.
   */
  handle(req: EdgeRequest, res: EdgeResponse): boolean;
}

/** @internal */
export interface EdgeRequest {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string; encrypted?: boolean };
}

/** @internal */
export interface EdgeResponse {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  getHeader(name: string): unknown;
  removeHeader(name: string): unknown;
  end(chunk?: string): unknown;
}
