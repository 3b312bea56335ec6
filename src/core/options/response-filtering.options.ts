import type { ResolveContext } from './security-options.interface';
import { readBoolean, readStrictSection } from './validate.util';

/**
 * ResponseFiltering options.
 *
 * @publicApi
 */
export interface ResponseFilteringOptions {
  /**
   * Turns the feature on or off. Off makes its guard/interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
}

/** @internal */
export interface ResolvedResponseFilteringOptions {
  enabled: boolean;
}

/** Validates `responseFiltering` once at boot. @internal */
export function resolveResponseFilteringOptions(
  value: unknown,
  _ctx: ResolveContext,
  path = 'responseFiltering',
): ResolvedResponseFilteringOptions {
  const raw = readStrictSection(value, ['enabled'], path);
  return { enabled: readBoolean(raw, 'enabled', path, true) };
}
