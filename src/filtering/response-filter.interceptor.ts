import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type OnModuleInit,
} from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { getRequest } from '../core/context/get-request';
import {
  takeGraphqlFilter,
  takeResponseFilter,
  type ResponseBodyFilter,
} from '../core/context/pending-response-filter.util';
import { RoutePlanCache, type RoutePlanSlot } from '../core/context/route-plan.cache';
import { SecurityEvents } from '../core/events/security-events.service';
import { SECURITY_OPTIONS } from '../core/security.constants';
import type { ResponseFilteringFeatureOptions } from './response-filtering.options';
import { ResponseFilterCompiler } from './route-response-filter.util';

/**
 * Response filtering as an interceptor, for the routes that need it in Nest's interceptor chain:
 * `@UseInterceptors(ResponseFilterInterceptor)` filters inside the interceptors declared before it
 * (what they see of the result is already filtered). SecurityModule registers it globally only when
 * a route uses `@Sse()` or `@Render()`, whose results are not serialized as JSON; otherwise every
 * route is filtered without it (the module records each route's filter and applies it when the
 * result is serialized).
 *
 * `@Serialize(Dto)` keeps only the exposed fields (role-based groups included), then the
 * sensitive-field denylist strips fields such as `password` or `refreshToken` at any depth, except
 * those a route allows with `@AllowSensitiveFields()`. Strings, buffers, streams and
 * `StreamableFile` pass through untouched; a response with nothing to strip is not copied. The
 * route's result is filtered once: here, and not again when it is sent.
 *
 * @throws {InternalServerErrorException} a response too deep (or cyclic) to filter, or a DTO that fails to transform (500)
 * @publicApi
 */
@Injectable()
export class ResponseFilterInterceptor implements NestInterceptor, OnModuleInit {
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

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = ctx.getType<string>();
    if (type !== 'http' && type !== 'graphql') return next.handle();
    const request = getRequest(ctx);
    // Filtered here: not again where the result is serialized (or where a root field resolves).
    if (type === 'http') takeResponseFilter(request);
    else {
      const info = ctx.getArgByIndex<object | undefined>(3);
      if (info) takeGraphqlFilter(request, info);
    }
    const filter = this.plans.of(ctx);
    if (!filter) return next.handle();
    return next.handle().pipe(map((body: unknown) => filter.apply(body, request)));
  }
}
