import type { ResolveContext } from './security-options.interface';
import { readBoolean, readStrictSection } from './validate.util';

/**
 * RateLimit options.
 *
 * @publicApi
 */
export interface RateLimitOptions {
  /**
   * Turns the feature on or off. Off makes its guard/interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
}

/** @internal */
export interface ResolvedRateLimitOptions {
  enabled: boolean;
}

/** Validates `rateLimit` once at boot. @internal */
export function resolveRateLimitOptions(
  value: unknown,
  _ctx: ResolveContext,
  path = 'rateLimit',
): ResolvedRateLimitOptions {
  const raw = readStrictSection(value, ['enabled'], path);
  return { enabled: readBoolean(raw, 'enabled', path, true) };
}
