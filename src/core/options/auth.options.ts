import type { ResolveContext } from './security-options.interface';
import { readBoolean, readStrictSection } from './validate.util';

/**
 * Auth options.
 *
 * @publicApi
 */
export interface AuthOptions {
  /**
   * Turns the feature on or off. Off makes its guard/interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
}

/** @internal */
export interface ResolvedAuthOptions {
  enabled: boolean;
}

/** Validates `auth` once at boot. @internal */
export function resolveAuthOptions(value: unknown, _ctx: ResolveContext, path = 'auth'): ResolvedAuthOptions {
  const raw = readStrictSection(value, ['enabled'], path);
  return { enabled: readBoolean(raw, 'enabled', path, true) };
}
