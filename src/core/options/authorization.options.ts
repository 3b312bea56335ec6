import type { ResolveContext } from './security-options.interface';
import { readBoolean, readStrictSection } from './validate.util';

/**
 * Authorization options.
 *
 * @publicApi
 */
export interface AuthorizationOptions {
  /**
   * Turns the feature on or off. Off makes its guard/interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
}

/** @internal */
export interface ResolvedAuthorizationOptions {
  enabled: boolean;
}

/** Validates `authorization` once at boot. @internal */
export function resolveAuthorizationOptions(
  value: unknown,
  _ctx: ResolveContext,
  path = 'authorization',
): ResolvedAuthorizationOptions {
  const raw = readStrictSection(value, ['enabled'], path);
  return { enabled: readBoolean(raw, 'enabled', path, true) };
}
