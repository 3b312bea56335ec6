import type { ResolvedRateLimitOptions, ResolvedRateLimitPolicy } from '../core/options/rate-limit.options';
import { SW, SW_FIELDS } from '../storage/sliding-window.script';

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
