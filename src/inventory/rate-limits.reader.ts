import type { Reflector } from '@nestjs/core';
import type { ResolvedRateLimitOptions, ResolvedRateLimitPolicy } from '../throttling/rate-limit.options';
import {
  LOGIN_RATE_LIMIT_KEY,
  RATE_LIMIT_KEY,
  SKIP_RATE_LIMIT_KEY,
  THROTTLER_METADATA,
} from '../throttling/rate-limit.constants';
import type { InventoryRateLimit } from './inventory.interface';

/** Reflector targets: [handler, class]. */
type Targets = Parameters<Reflector['getAllAndOverride']>[1];

interface LoginRouteOptions {
  maxAttempts?: number;
  windowSeconds?: number;
}

/** The rate limits of one route, and whether any of them is the route's own (stricter) budget. @internal */
export interface RouteRateLimitView {
  limits: InventoryRateLimit[];
  /** A `@RateLimit()`, `@Throttle()` or `@LoginRateLimit()` budget belongs to this route alone. */
  routeScoped: boolean;
}

/**
 * Reads what the rate-limit guards evaluate on a route, from the throttling feature's metadata:
 * the module policies (per IP) unless skipped, replaced by a same-named `@RateLimit()` /
 * `@Throttle()` one; extra `@RateLimit()` policies; the principal tiers (per principal; the
 * anonymous tier per IP); and `@LoginRateLimit()` (per IP + username).
 *
 * @internal
 */
export function readRateLimits(
  reflector: Reflector,
  targets: Targets,
  options: ResolvedRateLimitOptions,
): RouteRateLimitView {
  const view: RouteRateLimitView = { limits: [], routeScoped: false };
  if (!options.enabled) return view;
  const skip = reflector.getAllAndOverride<true | string[] | undefined>(SKIP_RATE_LIMIT_KEY, targets);
  const login = reflector.getAllAndOverride<LoginRouteOptions | undefined>(LOGIN_RATE_LIMIT_KEY, targets);
  if (login) {
    view.routeScoped = true;
    view.limits.push({
      policy: 'login',
      limit: login.maxAttempts ?? options.login.maxAttempts,
      windowSec: login.windowSeconds ?? options.login.windowMs / 1000,
      by: 'ip+username',
    });
    const { perUsername, perIp } = options.login;
    if (perUsername) {
      view.limits.push({
        policy: 'login.username',
        limit: perUsername.maxAttempts,
        windowSec: perUsername.windowMs / 1000,
        by: 'username',
      });
    }
    if (perIp)
      view.limits.push({ policy: 'login.ip', limit: perIp.maxAttempts, windowSec: perIp.windowMs / 1000, by: 'ip' });
  }
  if (skip === true) return view;
  const skipped = (name: string): boolean =>
    (Array.isArray(skip) && skip.includes(name)) ||
    reflector.getAllAndOverride<boolean | undefined>(THROTTLER_METADATA.SKIP + name, targets) === true;
  const own = reflector.getAllAndOverride<ResolvedRateLimitPolicy[] | undefined>(RATE_LIMIT_KEY, targets) ?? [];
  const add = (policy: ResolvedRateLimitPolicy, by: InventoryRateLimit['by'], routeScoped: boolean): void => {
    view.limits.push({ policy: policy.name, limit: policy.limit, windowSec: policy.windowMs / 1000, by });
    if (routeScoped) view.routeScoped = true;
  };
  const layer = (
    defaults: readonly ResolvedRateLimitPolicy[],
    by: InventoryRateLimit['by'],
    isExtra: (name: string) => boolean,
  ): void => {
    for (const policy of defaults) {
      if (skipped(policy.name)) continue;
      const override = own.find((p) => p.name === policy.name) ?? throttleOverride(reflector, targets, policy);
      add(override ?? policy, by, override !== undefined);
    }
    for (const policy of own) {
      if (isExtra(policy.name) && !defaults.some((p) => p.name === policy.name) && !skipped(policy.name)) {
        add(policy, by, true);
      }
    }
  };
  const tiers = Object.keys(options.tiers);
  // IP layer: everything except "<tier>.<policy>" names, which the principal layer owns.
  const isTierPolicy = (name: string): boolean => tiers.some((tier) => name.startsWith(`${tier}.`));
  layer(options.policies, 'ip', (name) => !isTierPolicy(name));
  for (const tier of tiers) {
    if (skipped(tier)) continue;
    layer(options.tiers[tier], tier === 'anonymous' ? 'ip' : 'principal', (name) => name.startsWith(`${tier}.`));
  }
  return view;
}

/** `@Throttle({ name: { limit, ttl } })` (ttl in ms) for one policy, when set as numbers. */
function throttleOverride(
  reflector: Reflector,
  targets: Targets,
  policy: ResolvedRateLimitPolicy,
): ResolvedRateLimitPolicy | undefined {
  const read = (key: string): number | undefined => {
    const value = reflector.getAllAndOverride<unknown>(key + policy.name, targets);
    return typeof value === 'number' ? value : undefined;
  };
  const limit = read(THROTTLER_METADATA.LIMIT);
  const ttl = read(THROTTLER_METADATA.TTL);
  if (limit === undefined && ttl === undefined) return undefined;
  return {
    ...policy,
    limit: limit ?? policy.limit,
    windowMs: ttl === undefined ? policy.windowMs : Math.max(1, Math.ceil(ttl / 1000)) * 1000,
  };
}
