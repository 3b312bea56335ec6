import type { MiddlewareConsumer } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from './edge-handler.interface';
import { isDecodable } from './request-target.edge';
import { runEdge } from './edge-handler.interface';
import { securityEdgeMiddleware, type EdgeMiddleware } from './security-edge.middleware';

interface FastifyReplyLike {
  raw: EdgeResponse & { writeHead?: unknown; headersSent?: boolean };
  /** The Fastify request; `routeOptions.url` is the matched route's template (routing precedes `onRequest`). */
  request?: { routeOptions?: { url?: string; config?: object } };
  header(name: string, value: unknown): unknown;
  getHeader(name: string): unknown;
  getHeaders(): Record<string, unknown>;
  removeHeader(name: string): unknown;
  hijack(): void;
}

interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (request: { raw: EdgeRequest }, reply: FastifyReplyLike, done: (err?: Error) => void) => void,
  ): unknown;
}

/**
 * The response the edge steps see on Fastify. Headers go to the reply, which Fastify hands to
 * Node in one `writeHead(status, headers)` call. A header set on the raw response instead makes
 * Node take its slow path for every header of the response (each one through `setHeader`):
 * about 0.8 µs per request for the request id alone, several µs for the security header preset
 * (`npm run bench -- --profile jwt-get`). A step that answers by itself (a preflight, a 413)
 * writes the raw response with the reply's headers, and the hook hijacks the reply.
 */
class FastifyEdgeResponse implements EdgeResponse {
  constructor(private readonly reply: FastifyReplyLike) {}

  get statusCode(): number {
    return this.reply.raw.statusCode;
  }

  set statusCode(code: number) {
    this.reply.raw.statusCode = code;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.reply.header(name, value);
    return this;
  }

  getHeader(name: string): unknown {
    return this.reply.getHeader(name);
  }

  removeHeader(name: string): this {
    this.reply.removeHeader(name);
    return this;
  }

  get headersSent(): boolean {
    return this.reply.raw.headersSent === true;
  }

  get route(): string | undefined {
    return this.reply.request?.routeOptions?.url;
  }

  get routeContext(): object | undefined {
    return this.reply.request?.routeOptions?.config;
  }

  end(chunk?: string): void {
    // Answered here (possibly later than the hook, e.g. a body timeout): Fastify must not send.
    this.reply.hijack();
    const raw = this.reply.raw;
    const headers = this.reply.getHeaders();
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value !== undefined) raw.setHeader(name, value as string | number | readonly string[]);
    }
    raw.end(chunk);
  }
}

/** The parts of an Express application the edge is installed with (public Express API). */
interface ExpressLike {
  use(fn: EdgeMiddleware): unknown;
  disable(setting: string): unknown;
  /** Express 5's application router (`app.router`); its `stack` is the ordered middleware list. */
  router?: { stack?: unknown[] };
}

/** The parts of Node's HTTP server the Fastify bad-URL guard wraps. */
interface NodeServerLike {
  listeners(event: 'request'): ((req: EdgeRequest, res: EdgeResponse) => void)[];
  removeAllListeners(event: 'request'): unknown;
  on(event: 'request', listener: (req: EdgeRequest, res: EdgeResponse) => void): unknown;
}

/**
 * Installs the edge steps in front of every request, so that every response the app sends,
 * whatever refuses it, carries the request id and the header preset.
 *
 * - Express: one application-level middleware placed FIRST in the application's middleware list,
 *   ahead of the body parsers Nest registers before any module is configured: a body the edge
 *   refuses (413, 415) is never read, and the errors the parsers raise (malformed JSON, charset)
 *   reach the client with the edge's headers. `X-Powered-By` is disabled.
 * - Fastify: a native `onRequest` hook on the raw request and response: Nest's middleware on
 *   Fastify goes through @fastify/middie, which alone cost about a quarter of bare throughput in
 *   our measurements; the hook costs almost nothing. Their headers go to the reply
 *   ({@link FastifyEdgeResponse}). Fastify's router refuses a path that does not percent-decode
 *   before any hook runs, with a body of its own: the server's request listener is wrapped so
 *   that such a request goes through the edge steps instead (the last one answers the 400).
 *
 * Both see every request, including preflights and unmatched routes.
 *
 * @internal
 */
export function installEdge(
  consumer: MiddlewareConsumer,
  adapterHost: HttpAdapterHost | undefined,
  handlers: readonly EdgeHandler[],
): void {
  const adapter = adapterHost?.httpAdapter;
  if (adapter?.getType() === 'fastify') {
    installFastifyEdge(adapter.getInstance<FastifyLike>(), adapter.getHttpServer() as NodeServerLike, handlers);
    return;
  }
  if (adapter?.getType() === 'express') {
    installExpressEdge(adapter.getInstance<ExpressLike>(), handlers);
    return;
  }
  // Another adapter: as a Nest middleware on every route.
  // '{*path}' (path-to-regexp v8) also matches '/': a bare '*path' needs at least one segment and missed the root.
  consumer.apply(securityEdgeMiddleware(handlers)).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
}

function installExpressEdge(app: ExpressLike, handlers: readonly EdgeHandler[]): void {
  app.disable('x-powered-by');
  const middleware = securityEdgeMiddleware(handlers);
  app.use(middleware);
  // `app.use` appends; the body parsers are already there. Move the layer just added to the front.
  // (Express 4's `app.router` getter throws; there the edge stays where `use` put it, still in
  // front of every route.)
  let stack: unknown[] | undefined;
  try {
    stack = app.router?.stack;
  } catch {
    return;
  }
  if (!Array.isArray(stack)) return;
  const index = stack.findIndex((layer) => (layer as { handle?: unknown } | null)?.handle === middleware);
  if (index > 0) stack.unshift(...stack.splice(index, 1));
}

function installFastifyEdge(fastify: FastifyLike, server: NodeServerLike, handlers: readonly EdgeHandler[]): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const res = new FastifyEdgeResponse(reply);
    let answered: boolean | Promise<boolean>;
    try {
      answered = runEdge(handlers, request.raw, res);
    } catch (error) {
      done(error as Error);
      return;
    }
    // A step that answered wrote the raw response (and hijacked the reply): Fastify must not send.
    if (answered === false) done();
    else if (answered !== true) answered.then((sent) => (sent ? undefined : done()), done);
  });
  const listeners = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    if (isDecodable(req.url)) {
      for (const listener of listeners) listener.call(server, req, res);
      return;
    }
    // Fastify's router would answer before any hook: run the edge on the raw objects instead.
    void Promise.resolve()
      .then(() => runEdge(handlers, req, res))
      .catch(() => undefined)
      .finally(() => {
        if (res.headersSent) return;
        res.statusCode = 400;
        res.end();
      });
  });
}
