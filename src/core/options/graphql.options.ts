import type { ResolveContext } from './security-options.interface';
import { readBoolean, readStrictSection } from './validate.util';

/**
 * Graphql options.
 *
 * @publicApi
 */
export interface GraphqlOptions {
  /**
   * Turns the feature on or off. Off makes its guard/interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
}

/** @internal */
export interface ResolvedGraphqlOptions {
  enabled: boolean;
}

/** Validates `graphql` once at boot. @internal */
export function resolveGraphqlOptions(value: unknown, _ctx: ResolveContext, path = 'graphql'): ResolvedGraphqlOptions {
  const raw = readStrictSection(value, ['enabled'], path);
  return { enabled: readBoolean(raw, 'enabled', path, true) };
}
