import type { ExecutionContext } from '@nestjs/common';

/** Minimal shape of the requests Express and Fastify hand to guards. @internal */
export interface HttpRequestLike {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
  user?: unknown;
  raw?: unknown;
  routeOptions?: { url?: string };
  route?: { path?: string };
  socket?: { remoteAddress?: string };
}

/**
 * The request of any execution context: HTTP, GraphQL (`context.req`) or WebSocket (the client's
 * handshake). One place, so every guard works for all three.
 *
 * @internal
 */
export function getRequest(ctx: ExecutionContext): HttpRequestLike {
  const type = ctx.getType<string>();
  if (type === 'graphql') {
    const gqlContext = ctx.getArgByIndex(2) as { req?: HttpRequestLike; request?: HttpRequestLike } | undefined;
    const req = gqlContext?.req ?? gqlContext?.request;
    if (req) return req;
  }
  if (type === 'ws') {
    const client = ctx.switchToWs().getClient<{ handshake?: HttpRequestLike; request?: HttpRequestLike }>();
    const req = client.handshake ?? client.request;
    if (req) return req;
  }
  // For HTTP the request is argument 0: `switchToHttp()` would allocate an object per call, and
  // every guard of the pipeline asks.
  return ctx.getArgByIndex<HttpRequestLike>(0);
}

/** The response of an HTTP (or GraphQL-over-HTTP) context, if any. @internal */
export function getResponse(ctx: ExecutionContext): unknown {
  const type = ctx.getType<string>();
  if (type === 'graphql') {
    const gqlContext = ctx.getArgByIndex(2) as { res?: unknown; reply?: unknown } | undefined;
    return gqlContext?.res ?? gqlContext?.reply;
  }
  return type === 'http' ? ctx.getArgByIndex<unknown>(1) : undefined;
}

/** A header value as one string (first of repeated headers). @internal */
export function headerValue(req: HttpRequestLike, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The request path without the query string. @internal */
export function requestPath(req: HttpRequestLike): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
