import { defineFeature } from '../core/feature/security-feature.interface';
import { IDEMPOTENT_KEY } from './idempotency.constants';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { resolveIdempotencyOptions } from './idempotency.options';

/** Idempotency-Key handling. @internal */
export const idempotencyFeature = defineFeature({
  key: 'idempotency',
  resolve: resolveIdempotencyOptions,
  enhancers: {
    interceptor: {
      kind: 'interceptor',
      type: IdempotencyInterceptor,
      when: (o, routesUse) => o.enabled && (o.applyTo !== 'decorated' || routesUse(IDEMPOTENT_KEY)),
    },
  },
  enabled: (o) => o.enabled,
  summary: (o) =>
    o.enabled ? `idempotency on (${o.applyTo === 'decorated' ? 'decorated routes' : o.applyTo})` : 'idempotency off',
});
