import type { ResolvedCorsOptions } from './cors.options';

/**
 * Whether `origin` is allowed by the compiled policy: exact set first (O(1)), then the anchored
 * subdomain patterns and RegExps compiled at boot.
 *
 * @internal
 */
export function isOriginAllowed(policy: ResolvedCorsOptions, origin: string): boolean {
  if (policy.anyOrigin) return true;
  if (policy.exact.has(origin)) return true;
  const patterns = policy.patterns;
  for (let i = 0; i < patterns.length; i++) {
    const rule = patterns[i];
    if (rule.kind !== 'exact' && rule.test.test(origin)) return true;
  }
  return false;
}
