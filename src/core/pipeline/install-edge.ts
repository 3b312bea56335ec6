import type { MiddlewareConsumer } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from './edge-handler.interface';
import { SecurityEdgeMiddleware } from './security-edge.middleware';

interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (
      request: { raw: EdgeRequest },
      reply: { raw: EdgeResponse; hijack(): void },
      done: (err?: Error) => void,
    ) => void,
  ): unknown;
}

/**
 * Installs the edge steps in front of every request. On Express they run as one Nest middleware.
 * On Fastify they run as a native `onRequest` hook on the raw request and response: Nest's
 * middleware on Fastify goes through @fastify/middie, which alone cost about a quarter of bare
 * throughput in our measurements; the hook costs almost nothing. Both see every request,
 * including preflights and unmatched routes.
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
        for (const handler of handlers) {
          if (handler.handle(request.raw, reply.raw)) {
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
