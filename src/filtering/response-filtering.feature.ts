import { defineFeature } from '../core/feature/security-feature.interface';
import { ResponseFilterGuard } from './response-filter.guard';
import { ResponseFilterInterceptor } from './response-filter.interceptor';
import { resolveResponseFilteringOptions } from './response-filtering.options';

/**
 * Nest's route metadata of `@Sse()` and `@Render()` (`SSE_METADATA`, `RENDER_METADATA` in
 * `@nestjs/common`'s constants, not exported from its entry point). Their results are not sent
 * through `reply.send()` / `res.json()`, so they are filtered in the interceptor chain.
 */
const SSE_METADATA = '__sse__';
const RENDER_METADATA = '__renderTemplate__';

/** Response filtering: allowlist DTOs and the sensitive-field denylist. @internal */
export const responseFilteringFeature = defineFeature({
  key: 'responseFiltering',
  resolve: resolveResponseFilteringOptions,
  enhancers: {
    // Never refuses: records the route's filter, applied where the result is serialized.
    guard: { kind: 'guard', type: ResponseFilterGuard, when: (o) => o.enabled },
    interceptor: {
      kind: 'interceptor',
      type: ResponseFilterInterceptor,
      when: (o, routesUse) => o.enabled && (routesUse(SSE_METADATA) || routesUse(RENDER_METADATA)),
    },
  },
  enabled: (o) => o.enabled,
  summary: (o) => `response filtering ${o.enabled ? 'on' : 'off'}`,
});
