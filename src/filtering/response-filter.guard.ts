import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { getRequest, getResponse } from '../core/context/get-request';
import { armGraphqlFilter, armResponseFilter } from '../core/context/pending-response-filter.util';
import { RouteResponseFilters } from './route-response-filters.util';

/**
 * Response filtering without Nest's interceptor chain: records the route's filter (its
 * `@Serialize()` DTO, the sensitive-field denylist, its `@AllowSensitiveFields()`) on the request,
 * and the filter is applied once to what the handler returns, where it is serialized (Fastify's
 * `reply.send()`, Express's `res.json()`), or to what a GraphQL resolver (query, mutation or
 * `@ResolveField`) returns.
 * The idempotency interceptor applies it before storing a response. Error bodies are never
 * filtered.
 *
 * A guard that never refuses, registered after every guard that may: a global interceptor, even
 * one that does nothing, makes Nest wrap every handler in an RxJS chain (about 20 µs of server CPU
 * per request on Fastify).
 *
 * @internal
 */
@Injectable()
export class ResponseFilterGuard extends RouteResponseFilters implements CanActivate {
  canActivate(ctx: ExecutionContext): true {
    const type = ctx.getType<string>();
    if (type === 'http') {
      const filter = this.plans.of(ctx);
      if (filter) armResponseFilter(ctx.getArgByIndex<object>(0), getResponse(ctx), filter);
    } else if (type === 'graphql') {
      // Queries, mutations and field resolvers: what they return, as the schema's resolvers hand
      // it to graphql-js (see SecurityGraphQL).
      const info = ctx.getArgByIndex<object | undefined>(3);
      if (!info) return true;
      const filter = this.plans.of(ctx);
      if (filter) armGraphqlFilter(getRequest(ctx), info, filter);
    }
    return true;
  }
}
