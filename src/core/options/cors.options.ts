import type { ResolveContext } from './security-options.interface';
import { readBoolean, readStrictSection } from './validate.util';

/**
 * Cors options.
 *
 * @publicApi
 */
export interface CorsOptions {
  /**
   * Turns the feature on or off. Off makes its guard/interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
}

/** @internal */
export interface ResolvedCorsOptions {
  enabled: boolean;
}

/** Validates `cors` once at boot. @internal */
export function resolveCorsOptions(value: unknown, _ctx: ResolveContext, path = 'cors'): ResolvedCorsOptions {
  const raw = readStrictSection(value, ['enabled'], path);
  return { enabled: readBoolean(raw, 'enabled', path, true) };
}
