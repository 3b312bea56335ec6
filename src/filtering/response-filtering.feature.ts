import { defineFeature } from '../core/feature/security-feature.interface';
import { ResponseFilterInterceptor } from './response-filter.interceptor';
import { resolveResponseFilteringOptions } from './response-filtering.options';

/** Response filtering: allowlist DTOs and the sensitive-field denylist. @internal */
export const responseFilteringFeature = defineFeature({
  key: 'responseFiltering',
  resolve: resolveResponseFilteringOptions,
  enhancers: {
    interceptor: { kind: 'interceptor', type: ResponseFilterInterceptor, when: (o) => o.enabled },
  },
  enabled: (o) => o.enabled,
  summary: (o) => `response filtering ${o.enabled ? 'on' : 'off'}`,
});
