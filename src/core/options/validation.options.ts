import type { ResolveContext } from './security-options.interface';
import { readBoolean, readStrictSection } from './validate.util';

/**
 * Validation options.
 *
 * @publicApi
 */
export interface ValidationOptions {
  /**
   * Turns the feature on or off. Off makes its guard/interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
}

/** @internal */
export interface ResolvedValidationOptions {
  enabled: boolean;
}

/** Validates `validation` once at boot. @internal */
export function resolveValidationOptions(
  value: unknown,
  _ctx: ResolveContext,
  path = 'validation',
): ResolvedValidationOptions {
  const raw = readStrictSection(value, ['enabled'], path);
  return { enabled: readBoolean(raw, 'enabled', path, true) };
}
