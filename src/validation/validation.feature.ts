import { defineFeature } from '../core/feature/security-feature.interface';
import { PayloadLimitEdge } from './payload-limit.edge';
import { SecurityValidationPipe } from './security-validation.pipe';
import { resolveValidationOptions } from './validation.options';

/** Input validation hardening: payload limits at the edge, the validation pipe. @internal */
export const validationFeature = defineFeature({
  key: 'validation',
  resolve: resolveValidationOptions,
  enhancers: {
    pipe: { kind: 'pipe', type: SecurityValidationPipe, when: (o) => o.enabled },
  },
  edges: {
    payloadLimit: (o, core, events) =>
      o.enabled ? new PayloadLimitEdge({ ...core, validation: o }, events) : undefined,
  },
  enabled: (o) => o.enabled,
  summary: (o) => (o.enabled ? `validation on (max payload ${o.maxPayloadBytes} bytes)` : 'validation off'),
});
