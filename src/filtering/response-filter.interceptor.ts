import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { getRequest } from '../core/context/get-request';
import { takeGraphqlFilter, takeResponseFilter } from '../core/context/pending-response-filter.util';
import { RouteResponseFilters } from './route-response-filters.util';

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
export class ResponseFilterInterceptor extends RouteResponseFilters implements NestInterceptor {
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
