/** Metadata key written by `@Idempotent()`. @publicApi */
export const IDEMPOTENT_KEY = 'security:idempotent';

/** Response header set on every replayed response (Stripe's name). @publicApi */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
