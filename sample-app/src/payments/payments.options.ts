import type { SecurityModuleOptions } from 'nestjs-rampart';

/** Idempotency: keys required on `@Idempotent()` routes, responses kept 24 h. */
export const sampleIdempotencyOptions: SecurityModuleOptions['idempotency'] = {
  ttlSeconds: 86_400,
  leaseMs: 10_000,
};

/** Validation: the safe preset, with a 1 MiB body limit and capped pagination. */
export const sampleValidationOptions: SecurityModuleOptions['validation'] = {
  maxPayloadBytes: 1_048_576,
  pagination: { defaultLimit: 20, maxLimit: 100 },
};
