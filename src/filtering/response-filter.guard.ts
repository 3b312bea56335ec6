import { type CanActivate, type ExecutionContext, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { getRequest, getResponse } from '../core/context/get-request';
import {
  armGraphqlFilter,
  armResponseFilter,
  type ResponseBodyFilter,
} from '../core/context/pending-response-filter.util';
import { RoutePlanCache, type RoutePlanSlot } from '../core/context/route-plan.cache';
import { SecurityEvents } from '../core/events/security-events.service';
import { SECURITY_OPTIONS } from '../core/security.constants';
import type { ResponseFilteringFeatureOptions } from './response-filtering.options';
import { ResponseFilterCompiler } from './route-response-filter.util';

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
export class ResponseFilterGuard implements CanActivate, OnModuleInit {
  private readonly compiler: ResponseFilterCompiler;
  private readonly plans: RoutePlanSlot<ResponseBodyFilter | null>;

  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: ResponseFilteringFeatureOptions,
    reflector: Reflector,
    events: SecurityEvents,
    private readonly modules: ModulesContainer,
    routePlans: RoutePlanCache,
  ) {
    this.compiler = new ResponseFilterCompiler(options, reflector, events);
    this.plans = routePlans.slot((cls, handler) => this.compiler.compile(cls, handler));
  }

  /** Loads class-transformer at boot when a controller uses `@Serialize()`, and warms the plans. */
  onModuleInit(): void {
    if (!this.options.responseFiltering.enabled) return;
    ResponseFilterCompiler.forEachRoute(this.modules, (cls, handler) => this.plans.get(cls, handler));
  }

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
