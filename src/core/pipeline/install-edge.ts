import type { MiddlewareConsumer } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from './edge-handler.interface';
import { SecurityEdgeMiddleware } from './security-edge.middleware';

interface FastifyReplyLike {
  raw: EdgeResponse & { writeHead?: unknown };
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

  end(chunk?: string): void {
    const raw = this.reply.raw;
    const headers = this.reply.getHeaders();
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value !== undefined) raw.setHeader(name, value as string | number | readonly string[]);
    }
    raw.end(chunk);
  }
}

/**
 * Installs the edge steps in front of every request. On Express they run as one Nest middleware.
 * On Fastify they run as a native `onRequest` hook on the raw request and response: Nest's
 * middleware on Fastify goes through @fastify/middie, which alone cost about a quarter of bare
 * throughput in our measurements; the hook costs almost nothing. Their headers go to the reply
 * ({@link FastifyEdgeResponse}). Both see every request, including preflights and unmatched
 * routes.
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
    const fastify = adapter.getInstance<FastifyLike>();
    fastify.addHook('onRequest', (request, reply, done) => {
      try {
        const res = new FastifyEdgeResponse(reply);
        for (const handler of handlers) {
          if (handler.handle(request.raw, res)) {
            // The step has answered on the raw response: Fastify must not send anything.
            reply.hijack();
            return;
          }
        }
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    });
    return;
  }
  // '{*path}' (path-to-regexp v8) also matches '/': a bare '*path' needs at least one segment and missed the root.
  consumer.apply(SecurityEdgeMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
}
