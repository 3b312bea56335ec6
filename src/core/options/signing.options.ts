import type { ResolveContext } from './security-options.interface';
import { readBoolean, readStrictSection } from './validate.util';

/**
 * Signing options.
 *
 * @publicApi
 */
export interface SigningOptions {
  /**
   * Turns the feature on or off. Off makes its guard/interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
}

/** @internal */
export interface ResolvedSigningOptions {
  enabled: boolean;
}

/** Validates `signing` once at boot. @internal */
export function resolveSigningOptions(value: unknown, _ctx: ResolveContext, path = 'signing'): ResolvedSigningOptions {
  const raw = readStrictSection(value, ['enabled'], path);
  return { enabled: readBoolean(raw, 'enabled', path, true) };
}
