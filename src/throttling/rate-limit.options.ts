import type { ResolvedStorageOptions } from '../storage/storage.options';
import { compileIpMatcher } from '../core/context/client-ip';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolveContext, FeatureOptions } from '../core/options/core.options';
import {
  describe,
  join,
  readBoolean,
  readEnum,
  readNumber,
  readSection,
  readString,
  readStrictSection,
  readStringArray,
  type Raw,
  optionKeys,
} from '../core/options/validate.util';

/** The legacy rate-limit headers (`rateLimit.headers: 'legacy' | 'both'`). @internal */
export const LEGACY_RATE_LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const;
/**
 * One quota: at most `limit` requests per `windowSeconds` (sliding window).
 *
 * @publicApi
 */
export interface RateLimitPolicy {
  /** Requests admitted per window. 0 refuses every request. */
  limit: number;
  /** Window length in seconds (whole seconds, 1 s to 1 day). */
  windowSeconds: number;
  /**
   * Penalty box after the limit is exceeded. 0: none, the client may retry as soon as the window
   * allows (`Retry-After` says when). With escalation, 0 means "one window".
   * @default the section's `blockSeconds` (0)
   */
  blockSeconds?: number;
}

/** Repeat offenders get longer blocks. @publicApi */
export interface RateLimitEscalationOptions {
  /**
   * Turns escalation on. Off: a violation blocks for `blockSeconds` only.
   * @default true
   */
  enabled?: boolean;
  /**
   * Block = base block (`blockSeconds`, or the window when 0) × the multiplier of the client's
   * strike (1st, 2nd, 3rd and later violation). With a 60 s window: 1 min, 5 min, 30 min.
   * @default [1, 5, 30]
   */
  multipliers?: number[];
  /**
   * Strikes are forgotten after this long without a new violation (counted from the end of the
   * last block).
   * @default 900
   */
  decaySeconds?: number;
}

/** Brute-force protection for login routes (`@LoginRateLimit()`). @publicApi */
export interface LoginRateLimitOptions {
  /**
   * Failed attempts allowed per IP + username in the window; a success resets the count.
   * @default 5
   */
  maxAttempts?: number;
  /**
   * Window (from the first failure) in seconds.
   * @default 300
   */
  windowSeconds?: number;
  /**
   * Body field holding the username (case-insensitive, trimmed; hashed before it is stored).
   * @default 'username'
   */
  usernameField?: string;
  /**
   * Failed attempts allowed per username from ANY IP (credential stuffing and distributed brute
   * force: many addresses on one account). The counter belongs to the account, not the source IP,
   * as the OWASP Authentication Cheat Sheet ("Account Lockout") asks; the default is the ceiling
   * of OWASP ASVS 4.0.3 V2.2.1 / NIST SP 800-63B §5.2.2 (at most 100 failed attempts per hour on
   * one account). A success resets it. Unknown usernames are counted exactly like known ones.
   * `false` turns it off.
   * @default { maxAttempts: 100, windowSeconds: 3600 }
   */
  perUsername?: LoginAttemptLimit | false;
  /**
   * Failed attempts allowed per client IP across all usernames (password spraying: one address
   * trying many accounts). Tracked separately from the per-account counters and temporary, as
   * the OWASP Credential Stuffing Prevention Cheat Sheet ("IP Blacklisting") recommends. A success
   * does not reset it (one valid account must not launder a spray), it only takes back its own
   * attempt. IPs on `rateLimit.allowlist` are not counted. `false` turns it off.
   * @default { maxAttempts: 50, windowSeconds: 900 }
   */
  perIp?: LoginAttemptLimit | false;
}

/**
 * One login-failure budget: `maxAttempts` failures per `windowSeconds` (from the first failure).
 * A field left out keeps its default (`perUsername`: 100 per 3600 s, `perIp`: 50 per 900 s).
 *
 * @publicApi
 */
export interface LoginAttemptLimit {
  /**
   * Failed attempts allowed in the window; the next attempt gets 429 until the window ends.
   * @default 100 (perUsername) / 50 (perIp)
   */
  maxAttempts?: number;
  /**
   * Window length in seconds (whole seconds, 1 s to 1 day), counted from the first failure.
   * @default 3600 (perUsername) / 900 (perIp)
   */
  windowSeconds?: number;
}

/**
 * Rate limiting options (`SecurityModule.forRoot({ rateLimit })`). Config file keys map by
 * camelCase: `rate_limit.max_requests`, `rate_limit.window_seconds`, `rate_limit.fail_open`...
 *
 * @publicApi
 */
export interface RateLimitOptions {
  /**
   * Turns the feature on or off. Off makes its guards and interceptor no-ops.
   * @default true
   */
  enabled?: boolean;
  /**
   * Requests per `windowSeconds` per client IP, across all routes: the `"default"` policy.
   * Ignored when `policies` is given.
   * @default 100
   */
  maxRequests?: number;
  /**
   * Window of the `"default"` policy, in seconds.
   * @default 60
   */
  windowSeconds?: number;
  /**
   * Default penalty box of every policy, in seconds (0 = none).
   * @default 0
   */
  blockSeconds?: number;
  /**
   * Named per-IP policies applied to every route before authentication, e.g.
   * `{ short: { limit: 20, windowSeconds: 1 }, long: { limit: 1000, windowSeconds: 3600 } }`.
   * Names are what `@RateLimit()` / `@Throttle()` / `@SkipThrottle()` refer to.
   * @default { default: { limit: maxRequests, windowSeconds } }
   */
  policies?: Record<string, RateLimitPolicy>;
  /**
   * Per-principal quotas applied right after authentication. Keys are tier names: `anonymous`
   * (no principal, keyed by IP), `authenticated` (a principal without a known tier) and any tier a
   * principal names (`principal.tier`, e.g. `paid`). Authenticated callers are keyed by their
   * subject (`Principal.id`: the user, or the owner of an API key), so limits follow the caller
   * across IPs and across credentials: a user's JWT and API keys share one budget per policy. Without an `authenticated` tier,
   * principals naming no configured tier get no tier quota (the per-IP policies still apply).
   * Tier quotas are announced as `"<tier>.<policy>"`; routes override them under that name
   * (`@RateLimit({ 'paid.minute': … })`, `@Throttle`, `@SkipRateLimit('paid')`). Tier names have no dot.
   * @example { anonymous: { minute: { limit: 20, windowSeconds: 60 }, hour: { limit: 100, windowSeconds: 3600 } } }
   * @default {} (no tier limits)
   */
  tiers?: Record<string, Record<string, RateLimitPolicy>>;
  /**
   * IPs and CIDRs never rate limited, neither per IP nor per tier (health checks, internal
   * callers), plus `loopback`, `private`, `linklocal`. Matched on the full client address.
   * @default []
   */
  allowlist?: string[];
  /**
   * When the storage is down or slower than its command timeout: `true` decides with a per-instance
   * in-memory insurance limiter (limits still apply); `false` answers 503 `STORAGE_UNAVAILABLE`.
   * @default true
   */
  failOpen?: boolean;
  /**
   * Which headers limited responses carry: IETF `RateLimit` + `RateLimit-Policy`, legacy
   * `X-RateLimit-Limit/Remaining/Reset`, both, or none. `Retry-After` is always sent on 429.
   * @default 'ietf'
   */
  headers?: 'ietf' | 'legacy' | 'both' | 'none';
  /** Escalating blocks for repeat offenders. */
  escalation?: RateLimitEscalationOptions;
  /**
   * A `BURST_DETECTED` event is emitted when a client's attempts in one window reach this multiple
   * of the limit (0 turns detection off).
   * @default 3
   */
  burstFactor?: number;
  /** Login brute-force protection used by `@LoginRateLimit()`. */
  login?: LoginRateLimitOptions;
  /**
   * A per-IP limit at the edge, before routing: it counts every request, including unknown routes
   * (404) and CORS preflights, which no guard ever sees. Over it, the request gets 429 with
   * `Retry-After` and the `RateLimit` headers (policy `"edge"`) before anything else runs. The
   * allowlist applies; `false` turns it off.
   * @default { limit: 10 × maxRequests, windowSeconds } (1000 per 60 s)
   */
  edge?: RateLimitPolicy | false;
  /**
   * IPv6 clients are tracked by this prefix (a whole /64 is usually one subscriber, who could
   * otherwise rotate addresses to reset its limits). A multiple of 16; 128 tracks single addresses.
   * @default 64
   */
  ipv6PrefixLength?: number;
}

/** A validated policy with its derived header item. @internal */
export interface ResolvedRateLimitPolicy {
  name: string;
  limit: number;
  windowMs: number;
  blockMs: number;
  /** `"name";q=100;w=60`, the policy's `RateLimit-Policy` item. */
  policyItem: string;
  /** `"name"`, the item name as a structured-field string. */
  itemName: string;
}

/** A validated login-failure budget. @internal */
export interface ResolvedLoginLimit {
  maxAttempts: number;
  windowMs: number;
}

/** The validated `rateLimit.login`. @internal */
export interface ResolvedLoginOptions extends ResolvedLoginLimit {
  usernameField: string;
  /** Per username from any IP; undefined when off. */
  perUsername?: ResolvedLoginLimit;
  /** Per IP across usernames; undefined when off. */
  perIp?: ResolvedLoginLimit;
}

/** @internal */
export interface ResolvedRateLimitOptions {
  enabled: boolean;
  policies: ResolvedRateLimitPolicy[];
  tiers: Record<string, ResolvedRateLimitPolicy[]>;
  allowlist: string[];
  /** Compiled `allowlist`; undefined when empty. */
  isAllowlisted?: (ip: string) => boolean;
  /** Compiled `trustProxy`, for contexts the edge middleware does not see (WebSocket). */
  isTrustedProxy: (ip: string) => boolean;
  failOpen: boolean;
  headers: { ietf: boolean; legacy: boolean };
  escalation: { multipliers: number[]; decayMs: number };
  burstFactor: number;
  login: ResolvedLoginOptions;
  /** Number of leading 16-bit groups of an IPv6 address that identify a client (4 = /64). */
  ipv6Groups: number;
  /** The edge limit (policy `"edge"`); undefined when off. */
  edge?: ResolvedRateLimitPolicy;
}

const KEYS = optionKeys<RateLimitOptions>()([
  'enabled',
  'maxRequests',
  'windowSeconds',
  'blockSeconds',
  'policies',
  'tiers',
  'allowlist',
  'failOpen',
  'headers',
  'edge',
  'escalation',
  'burstFactor',
  'login',
  'ipv6PrefixLength',
]);
const POLICY_KEYS = optionKeys<RateLimitPolicy>()(['limit', 'windowSeconds', 'blockSeconds']);
const ESCALATION_KEYS = optionKeys<RateLimitEscalationOptions>()(['enabled', 'multipliers', 'decaySeconds']);
const LOGIN_KEYS = optionKeys<LoginRateLimitOptions>()([
  'maxAttempts',
  'windowSeconds',
  'usernameField',
  'perUsername',
  'perIp',
]);
const LOGIN_LIMIT_KEYS = optionKeys<LoginAttemptLimit>()(['maxAttempts', 'windowSeconds']);

/** Policy and tier names become header items and storage keys: keep them token-like. */
const NAME = /^[A-Za-z0-9_.-]{1,32}$/;
/** Tier names have no dot: `<tier>.<policy>` must name one tier only (route overrides use it). */
const TIER_NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** Validates and compiles one policy. @internal */
export function resolveRateLimitPolicy(
  name: string,
  value: unknown,
  path: string,
  defaultBlockSeconds = 0,
): ResolvedRateLimitPolicy {
  if (!NAME.test(name)) {
    throw SecurityConfigError.create(
      path,
      `has an invalid name "${name}"`,
      'Use 1-32 letters, digits, ".", "_" or "-"',
    );
  }
  const raw = readStrictSection(value, POLICY_KEYS, path);
  if (raw.limit === undefined || raw.windowSeconds === undefined) {
    throw SecurityConfigError.create(
      path,
      'needs both limit and windowSeconds',
      'Write e.g. { limit: 100, windowSeconds: 60 }',
    );
  }
  const limit = readNumber(raw, 'limit', path, 0, { min: 0, max: 1e9, integer: true });
  const windowSeconds = readNumber(raw, 'windowSeconds', path, 0, {
    min: 1,
    max: 86_400,
    integer: true,
    unit: 'seconds',
  });
  const blockSeconds = readNumber(raw, 'blockSeconds', path, defaultBlockSeconds, {
    min: 0,
    max: 86_400 * 7,
    unit: 'seconds',
  });
  return toPolicy(name, limit, windowSeconds, blockSeconds);
}

function toPolicy(name: string, limit: number, windowSeconds: number, blockSeconds: number): ResolvedRateLimitPolicy {
  return {
    name,
    limit,
    windowMs: windowSeconds * 1000,
    blockMs: Math.round(blockSeconds * 1000),
    policyItem: `"${name}";q=${limit};w=${windowSeconds}`,
    itemName: `"${name}"`,
  };
}

function readPolicyMap(value: unknown, path: string, blockSeconds: number): ResolvedRateLimitPolicy[] {
  const raw = readSection(value, path);
  const names = Object.keys(raw);
  if (names.length === 0) {
    throw SecurityConfigError.create(path, 'is empty', 'Name at least one policy, or leave the option out');
  }
  return names.map((name) => resolveRateLimitPolicy(name, raw[name], join(path, name), blockSeconds));
}

function readMultipliers(raw: Raw, path: string): number[] {
  const value = raw.multipliers;
  if (value === undefined) return [1, 5, 30];
  const where = join(path, 'multipliers');
  if (!Array.isArray(value) || value.length === 0) {
    throw SecurityConfigError.create(
      where,
      `must be a non-empty array of numbers, got ${describe(value)}`,
      'Use e.g. [1, 5, 30]',
    );
  }
  return value.map((m, i) => {
    if (typeof m !== 'number' || !Number.isFinite(m) || m < 1 || m > 10_000) {
      throw SecurityConfigError.create(`${where}[${i}]`, 'must be a number from 1 to 10000', 'Use e.g. [1, 5, 30]');
    }
    return m;
  });
}

function readIpv6Groups(raw: Raw, path: string): number {
  const bits = readNumber(raw, 'ipv6PrefixLength', path, 64, { min: 16, max: 128, integer: true });
  if (bits % 16 !== 0) {
    throw SecurityConfigError.create(
      join(path, 'ipv6PrefixLength'),
      `must be a multiple of 16, got ${bits}`,
      'Use 48, 64 (default) or 128',
    );
  }
  return bits / 16;
}

function readBurstFactor(raw: Raw, path: string): number {
  const factor = readNumber(raw, 'burstFactor', path, 3, { min: 0, max: 1000 });
  if (factor > 0 && factor < 1) {
    throw SecurityConfigError.create(
      join(path, 'burstFactor'),
      `must be 0 (off) or at least 1, got ${factor}`,
      'A burst is a multiple of the limit, e.g. 3',
    );
  }
  return factor;
}

function resolveEdge(
  value: unknown,
  path: string,
  maxRequests: number,
  windowSeconds: number,
  blockSeconds: number,
): { edge?: ResolvedRateLimitPolicy } {
  if (value === false) return {};
  if (value === undefined) return { edge: toPolicy('edge', Math.min(maxRequests * 10, 1e9), windowSeconds, 0) };
  return { edge: resolveRateLimitPolicy('edge', value, path, blockSeconds) };
}

/** Validates `rateLimit` once at boot and derives header items and matchers. @internal */
export function resolveRateLimitOptions(
  value: unknown,
  ctx: ResolveContext,
  path = 'rateLimit',
): ResolvedRateLimitOptions {
  const raw = readStrictSection(value, KEYS, path);
  const blockSeconds = readNumber(raw, 'blockSeconds', path, 0, { min: 0, max: 86_400 * 7, unit: 'seconds' });
  const maxRequests = readNumber(raw, 'maxRequests', path, 100, { min: 0, max: 1e9, integer: true });
  const windowSeconds = readNumber(raw, 'windowSeconds', path, 60, {
    min: 1,
    max: 86_400,
    integer: true,
    unit: 'seconds',
  });
  const policies =
    raw.policies === undefined
      ? [toPolicy('default', maxRequests, windowSeconds, blockSeconds)]
      : readPolicyMap(raw.policies, join(path, 'policies'), blockSeconds);

  const tiersRaw = readSection(raw.tiers, join(path, 'tiers'));
  const tiers: Record<string, ResolvedRateLimitPolicy[]> = {};
  for (const tier of Object.keys(tiersRaw)) {
    const tierPath = join(join(path, 'tiers'), tier);
    if (!TIER_NAME.test(tier)) {
      throw SecurityConfigError.create(
        tierPath,
        `has an invalid tier name "${tier}"`,
        'Use 1-32 letters, digits, "_" or "-" (no dot: routes name tier quotas "<tier>.<policy>")',
      );
    }
    tiers[tier] = readPolicyMap(tiersRaw[tier], tierPath, blockSeconds).map((p) =>
      // Tier policies are announced as "<tier>.<policy>" so they never collide with IP policies.
      toPolicy(`${tier}.${p.name}`, p.limit, p.windowMs / 1000, p.blockMs / 1000),
    );
  }

  const allowlist = readStringArray(raw, 'allowlist', path, []);
  const escalation = readStrictSection(raw.escalation, ESCALATION_KEYS, join(path, 'escalation'));
  const escalationPath = join(path, 'escalation');
  const escalationOn = readBoolean(escalation, 'enabled', escalationPath, true);
  const login = readStrictSection(raw.login, LOGIN_KEYS, join(path, 'login'));
  const loginPath = join(path, 'login');
  const headers = readEnum(raw, 'headers', path, ['ietf', 'legacy', 'both', 'none'] as const, 'ietf');

  return {
    enabled: readBoolean(raw, 'enabled', path, true),
    policies,
    tiers,
    allowlist,
    isAllowlisted: allowlist.length > 0 ? compileIpMatcher(allowlist, join(path, 'allowlist')) : undefined,
    isTrustedProxy: ctx.isTrustedProxy,
    failOpen: readBoolean(raw, 'failOpen', path, true),
    headers: { ietf: headers === 'ietf' || headers === 'both', legacy: headers === 'legacy' || headers === 'both' },
    escalation: {
      multipliers: escalationOn ? readMultipliers(escalation, escalationPath) : [],
      decayMs:
        readNumber(escalation, 'decaySeconds', escalationPath, 900, { min: 1, max: 86_400 * 30, unit: 'seconds' }) *
        1000,
    },
    burstFactor: readBurstFactor(raw, path),
    ipv6Groups: readIpv6Groups(raw, path),
    ...resolveEdge(raw.edge, join(path, 'edge'), maxRequests, windowSeconds, blockSeconds),
    login: {
      ...readLoginLimit(login, loginPath, 5, 300, 1000),
      usernameField: readString(login, 'usernameField', loginPath, 'username'),
      ...readOptionalLoginLimit(login, 'perUsername', loginPath, 100, 3600),
      ...readOptionalLoginLimit(login, 'perIp', loginPath, 50, 900),
    },
  };
}

function readLoginLimit(raw: Raw, path: string, attempts: number, seconds: number, max: number): ResolvedLoginLimit {
  return {
    maxAttempts: readNumber(raw, 'maxAttempts', path, attempts, { min: 1, max, integer: true }),
    windowMs:
      readNumber(raw, 'windowSeconds', path, seconds, { min: 1, max: 86_400, integer: true, unit: 'seconds' }) * 1000,
  };
}

/** `rateLimit.login.perUsername` / `perIp`: the defaults when absent, nothing when `false`. */
function readOptionalLoginLimit(
  login: Raw,
  key: 'perUsername' | 'perIp',
  loginPath: string,
  attempts: number,
  seconds: number,
): Partial<Record<typeof key, ResolvedLoginLimit>> {
  const value = login[key];
  if (value === false) return {};
  const path = join(loginPath, key);
  return { [key]: readLoginLimit(readStrictSection(value, LOGIN_LIMIT_KEYS, path), path, attempts, seconds, 100_000) };
}

/** The injected options rate limiting's services read. @internal */
export type RateLimitFeatureOptions = FeatureOptions<{
  rateLimit: ResolvedRateLimitOptions;
  storage: ResolvedStorageOptions;
}>;
