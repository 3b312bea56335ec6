/** Metadata key written by `@RateLimit()`. @publicApi */
export const RATE_LIMIT_KEY = 'security:rate-limit';
/** Metadata key written by `@SkipRateLimit()`. @publicApi */
export const SKIP_RATE_LIMIT_KEY = 'security:skip-rate-limit';
/** Metadata key written by `@LoginRateLimit()`. @publicApi */
export const LOGIN_RATE_LIMIT_KEY = 'security:login-rate-limit';

/** @nestjs/throttler's metadata keys (+ throttler name), read when present. @internal */
export const THROTTLER_METADATA = {
  SKIP: 'THROTTLER:SKIP',
  LIMIT: 'THROTTLER:LIMIT',
  TTL: 'THROTTLER:TTL',
  BLOCK_DURATION: 'THROTTLER:BLOCK_DURATION',
} as const;
