import type { ResolveContext } from './security-options.interface';
import { readBoolean, readStrictSection } from './validate.util';

/**
 * Headers options.
 *
 * @publicApi
 */
export interface HeadersOptions {
  /**
   * Turns the feature on or off. Off makes its guard/interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
}

/** @internal */
export interface ResolvedHeadersOptions {
  enabled: boolean;
}

/** Validates `headers` once at boot. @internal */
export function resolveHeadersOptions(value: unknown, _ctx: ResolveContext, path = 'headers'): ResolvedHeadersOptions {
  const raw = readStrictSection(value, ['enabled'], path);
  return { enabled: readBoolean(raw, 'enabled', path, true) };
}
