import type { ResolveContext } from './security-options.interface';
import { readBoolean, readStrictSection } from './validate.util';

/**
 * Idempotency options.
 *
 * @publicApi
 */
export interface IdempotencyOptions {
  /**
   * Turns the feature on or off. Off makes its guard/interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
}

/** @internal */
export interface ResolvedIdempotencyOptions {
  enabled: boolean;
}

/** Validates `idempotency` once at boot. @internal */
export function resolveIdempotencyOptions(
  value: unknown,
  _ctx: ResolveContext,
  path = 'idempotency',
): ResolvedIdempotencyOptions {
  const raw = readStrictSection(value, ['enabled'], path);
  return { enabled: readBoolean(raw, 'enabled', path, true) };
}
