import type { Reflector } from '@nestjs/core';
import {
  resolveRateLimitPolicy,
  type ResolvedRateLimitOptions,
  type ResolvedRateLimitPolicy,
} from './rate-limit.options';
import { SecurityEventType, type SecurityEventInput } from '../core/events/security-event.interface';
import { SW, SW_FIELDS } from '../storage/sliding-window.script';
import { RATE_LIMIT_KEY, SKIP_RATE_LIMIT_KEY, THROTTLER_METADATA } from './rate-limit.constants';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Handler = Function;

/**
 * The policies one guard evaluates for one route, compiled once: script arguments, key suffixes
 * and the `RateLimit-Policy` header value. Per request only the tracker part of the keys changes.
 *
 * @internal
 */
export interface PolicySet {
  policies: readonly ResolvedRateLimitPolicy[];
  /** Appended to `{tracker}:` to make each policy's key. */
  suffixes: readonly string[];
  /** ARGV of SLIDING_WINDOW. */
  args: string[];
  /** The same ARGV as numbers (what the memory stores read). */
  params: Float64Array;
  /** `"default";q=100;w=60, ...` */
  policyHeader: string;
}

/** Compiles a policy set; `scope` is `p` (shared by all routes) or `r:<route>` (one route's own budget). @internal */
export function compilePolicySet(
  entries: ReadonlyArray<{ policy: ResolvedRateLimitPolicy; scope: string }>,
  options: ResolvedRateLimitOptions,
): PolicySet | undefined {
  if (entries.length === 0) return undefined;
  const { multipliers, decayMs } = options.escalation;
  const args = ['1', String(multipliers.length), String(decayMs), ...multipliers.map(String)];
  for (const { policy } of entries) {
    const burst = options.burstFactor > 0 ? Math.max(1, Math.ceil(policy.limit * options.burstFactor)) : 0;
    args.push(String(policy.limit), String(policy.windowMs), String(policy.blockMs), String(burst));
  }
  return {
    policies: entries.map((e) => e.policy),
    suffixes: entries.map((e) => `${e.scope}:${e.policy.name}`),
    args,
    params: Float64Array.from(args, Number),
    policyHeader: entries.map((e) => e.policy.policyItem).join(', '),
  };
}

/** What a guard learns from one SLIDING_WINDOW reply. @internal */
export interface Decision {
  admitted: boolean;
  /** `RateLimit` header value. */
  state: string;
  /** Legacy header values, for the policy closest to exhaustion. */
  legacyLimit: number;
  legacyRemaining: number;
  legacyReset: number;
  /** Seconds, on rejection. */
  retryAfter: number;
  /** Names of the policies that rejected. */
  violated: string[];
  /** Whether this is the first rejection of a window (log once per episode). */
  firstRejection: boolean;
  burst: boolean;
  strikes: number;
}

/** Reads a reply into a {@link Decision}. @internal */
export function readDecision(set: PolicySet, reply: readonly number[]): Decision {
  const admitted = reply[0] === 1;
  let state = '';
  let legacy = 0;
  let minRemaining = Infinity;
  let retryAfter = 0;
  let first = false;
  let burst = false;
  let strikes = 0;
  const violated: string[] = [];
  for (let i = 0; i < set.policies.length; i++) {
    const o = 1 + i * SW_FIELDS;
    const remaining = reply[o + SW.REMAINING];
    const resetSeconds = Math.ceil(reply[o + SW.RESET] / 1000);
    state += `${i === 0 ? '' : ', '}${set.policies[i].itemName};r=${remaining};t=${resetSeconds}`;
    if (remaining < minRemaining) {
      minRemaining = remaining;
      legacy = i;
    }
    if (reply[o + SW.REJECTED] === 1) {
      violated.push(set.policies[i].name);
      retryAfter = Math.max(retryAfter, Math.ceil(reply[o + SW.RETRY] / 1000));
      if (reply[o + SW.FIRST] === 1) first = true;
      strikes = Math.max(strikes, reply[o + SW.STRIKES]);
    }
    if (reply[o + SW.BURST] === 1) burst = true;
  }
  const lo = 1 + legacy * SW_FIELDS;
  return {
    admitted,
    state,
    legacyLimit: set.policies[legacy].limit,
    legacyRemaining: reply[lo + SW.REMAINING],
    legacyReset: Math.ceil(reply[lo + SW.RESET] / 1000),
    retryAfter,
    violated,
    firstRejection: first,
    burst,
    strikes,
  };
}

/**
 * The `RATE_LIMITED` event of a refusal, as the edge IP limit and the rate-limit guards emit it:
 * `episode` groups repeated refusals (only the first is written; the store decides which).
 *
 * @internal
 */
export function rateLimitedEvent(
  request: unknown,
  decision: Decision,
  tracker: 'ip' | 'principal',
  episode: string,
): SecurityEventInput {
  return {
    type: SecurityEventType.RATE_LIMITED,
    outcome: 'blocked',
    reason: decision.strikes > 1 ? 'limit_exceeded_escalated' : 'limit_exceeded',
    request,
    details: { tracker, policies: decision.violated, retryAfter: decision.retryAfter, strikes: decision.strikes },
    episode,
    first: decision.firstRejection,
  };
}

/**
 * A route's rate-limit metadata, read once per route (controller class and handler):
 * `@SkipRateLimit()` / `@SkipThrottle()`, `@RateLimit()` policies and `@Throttle()` overrides (the
 * handler's wins over the controller's).
 *
 * @internal
 */
export class RouteRateLimits {
  /** `@SkipRateLimit()` without names: nothing applies. */
  readonly skipAll: boolean;
  /** `@RateLimit()` policies of the route. */
  readonly own: readonly ResolvedRateLimitPolicy[];
  /** Key scope of the route's own budgets. */
  readonly scope: string;
  private readonly skipNames: readonly string[];
  private readonly targets: Handler[];

  constructor(
    private readonly reflector: Reflector,
    handler: Handler,
    cls: Handler,
  ) {
    this.targets = [handler, cls];
    const skip = reflector.getAllAndOverride<true | string[] | undefined>(SKIP_RATE_LIMIT_KEY, this.targets);
    this.skipAll = skip === true;
    this.skipNames = Array.isArray(skip) ? skip : [];
    this.own = reflector.getAllAndOverride<ResolvedRateLimitPolicy[] | undefined>(RATE_LIMIT_KEY, this.targets) ?? [];
    this.scope = `r:${cls.name}.${handler.name}`;
  }

  /** Whether `name` (a policy, a tier, or a `tier.policy`) is skipped by either decorator. */
  isSkipped(name: string): boolean {
    return (
      this.skipAll ||
      this.skipNames.includes(name) ||
      this.reflector.getAllAndOverride<boolean | undefined>(THROTTLER_METADATA.SKIP + name, this.targets) === true
    );
  }

  /**
   * The policies one layer evaluates on this route: each of `defaults` (shared budget, `sharedScope`)
   * unless skipped, replaced by a same-named `@RateLimit()` / `@Throttle()` one (the route's own
   * budget), plus `@RateLimit()` policies that `isExtra` claims (new names, route budget).
   */
  entries(
    defaults: readonly ResolvedRateLimitPolicy[],
    sharedScope: string,
    isExtra: (name: string) => boolean,
  ): Array<{ policy: ResolvedRateLimitPolicy; scope: string }> {
    const entries: Array<{ policy: ResolvedRateLimitPolicy; scope: string }> = [];
    if (this.skipAll) return entries;
    for (const policy of defaults) {
      if (this.isSkipped(policy.name)) continue;
      const override = this.own.find((p) => p.name === policy.name) ?? this.throttleOverride(policy);
      entries.push(override ? { policy: override, scope: this.scope } : { policy, scope: sharedScope });
    }
    for (const policy of this.own) {
      if (isExtra(policy.name) && !defaults.some((p) => p.name === policy.name) && !this.isSkipped(policy.name)) {
        entries.push({ policy, scope: this.scope });
      }
    }
    return entries;
  }

  /** `@Throttle({ name: { limit, ttl, blockDuration } })` (ms) for a policy, when given as numbers. */
  private throttleOverride(policy: ResolvedRateLimitPolicy): ResolvedRateLimitPolicy | undefined {
    const read = (key: string) => {
      const value = this.reflector.getAllAndOverride<unknown>(key + policy.name, this.targets);
      return typeof value === 'number' ? value : undefined;
    };
    const limit = read(THROTTLER_METADATA.LIMIT);
    const ttl = read(THROTTLER_METADATA.TTL);
    if (limit === undefined && ttl === undefined) return undefined;
    const block = read(THROTTLER_METADATA.BLOCK_DURATION);
    return resolveRateLimitPolicy(
      policy.name,
      {
        limit: limit ?? policy.limit,
        windowSeconds: ttl === undefined ? policy.windowMs / 1000 : Math.max(1, Math.ceil(ttl / 1000)),
        blockSeconds: block === undefined ? policy.blockMs / 1000 : block / 1000,
      },
      `@Throttle(${policy.name})`,
    );
  }
}
