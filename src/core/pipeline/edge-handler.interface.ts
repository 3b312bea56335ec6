/**
 * A step of the HTTP edge, run before routing and before the body parsers (see `installEdge`), in
 * the fixed order of `security.providers.ts`: request id, HTTPS enforcement, security headers, the
 * edge IP limit, CORS, payload limits, malformed URL.
 * It sees every request, including preflights and unmatched routes.
 *
 * @internal
 */
export interface EdgeHandler {
  /**
   * Handles one request. `req`/`res` are the Node request and response (Express passes its own
   * subclasses, Fastify the raw ones). Returns `true` when it has ended the response itself
   * (e.g. a preflight), so later steps and the route do not run. A step that needs the shared
   * storage (the edge rate limit on Redis) may answer with a promise; every other step is
   * synchronous, so the common path allocates nothing.
   */
  handle(req: EdgeRequest, res: EdgeResponse): boolean | Promise<boolean>;
}

/** @internal */
export interface EdgeRequest {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string; encrypted?: boolean; destroy?(): void };
  /** Whether the whole body has been received (Node `IncomingMessage.complete`). */
  complete?: boolean;
  once?(event: 'end' | 'close', listener: () => void): unknown;
}

/** @internal */
export interface EdgeResponse {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  getHeader(name: string): unknown;
  removeHeader(name: string): unknown;
  end(chunk?: string): unknown;
  /** Whether the status line and headers are gone (Node `ServerResponse.headersSent`). */
  readonly headersSent?: boolean;
  /**
   * The route template of the request, when the adapter has routed it before the edge (Fastify);
   * read only when a refusal is counted (metrics label).
   */
  readonly route?: string;
  /**
   * The route the adapter matched before the edge (Fastify: the route's context object, one per
   * registered route), for the edge IP limit's per-route plans; undefined elsewhere.
   */
  readonly routeContext?: object;
}

/**
 * Runs the edge steps in order from `from`, stopping at the first that answers. Synchronous
 * unless a step returns a promise, in which case the rest run once it settles.
 *
 * @internal
 */
export function runEdge(
  handlers: readonly EdgeHandler[],
  req: EdgeRequest,
  res: EdgeResponse,
  from = 0,
): boolean | Promise<boolean> {
  for (let i = from; i < handlers.length; i++) {
    const answered = handlers[i].handle(req, res);
    if (answered === true) return true;
    if (answered !== false) return answered.then((done) => done || runEdge(handlers, req, res, i + 1));
  }
  return false;
}
