import { defineFeature } from '../core/feature/security-feature.interface';
import { RequestSignatureGuard } from './request-signature.guard';
import { WEBHOOK_KEY } from './signing.constants';
import { resolveSigningOptions } from './signing.options';
import { WebhookReplayInterceptor } from './webhook-replay.interceptor';

/** HMAC request signing and incoming webhooks. @internal */
export const signingFeature = defineFeature({
  key: 'signing',
  resolve: resolveSigningOptions,
  enhancers: {
    guard: { kind: 'guard', type: RequestSignatureGuard, when: (o) => o.enabled },
    webhookInterceptor: {
      kind: 'interceptor',
      type: WebhookReplayInterceptor,
      when: (o, routesUse) => o.enabled && routesUse(WEBHOOK_KEY),
    },
  },
  enabled: (o) => o.enabled,
  summary: (o) => {
    if (!o.enabled) return 'signing off';
    return `signing on (${o.keys.size === 0 ? 'no keys' : `${o.keys.size} key${o.keys.size === 1 ? '' : 's'}`})`;
  },
});
