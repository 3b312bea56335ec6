import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolveContext, FeatureOptions } from '../core/options/core.options';
import {
  join,
  readBoolean,
  readEnum,
  readFunction,
  readNumber,
  readString,
  readStrictSection,
  readStringArray,
  optionKeys,
} from '../core/options/validate.util';

/** Which routes need an `Idempotency-Key`. @publicApi */
export type IdempotencyScope = 'decorated' | 'mutations';

/** How anonymous callers (no principal) are scoped. @publicApi */
export type IdempotencyAnonymousPolicy = 'ip' | 'refuse';

/** What the idempotency layer refused, for `exceptionFactory`. @publicApi */
export type IdempotencyRefusal = 'missing' | 'invalid' | 'mismatch' | 'in_flight' | 'storage' | 'anonymous';

/**
 * Idempotency-Key handling (draft-ietf-httpapi-idempotency-key-header, Stripe behaviour where the
 * draft is silent).
 *
 * @publicApi
 */
export interface IdempotencyOptions {
  /**
   * Turns the feature on or off. Off makes the interceptor a no-op.
   * @default true
   */
  enabled?: boolean;
  /**
   * `decorated`: only `@Idempotent()` routes. `mutations`: also every POST and PATCH route.
   * @default 'decorated'
   */
  applyTo?: IdempotencyScope;
  /**
   * Request header carrying the key.
   * @default 'Idempotency-Key'
   */
  header?: string;
  /**
   * Whether an idempotent route refuses a request without a key (400). When false, a request
   * without a key simply runs.
   * @default true
   */
  required?: boolean;
  /**
   * How long a completed response is kept and replayed, in seconds (published expiry policy).
   * @default 86400 (24 h)
   */
  ttlSeconds?: number;
  /**
   * In-flight lease, in ms: renewed every third of it while the handler runs, so a crashed
   * instance locks a key for at most this long.
   * @default 10000
   */
  leaseMs?: number;
  /**
   * `Retry-After` (seconds) sent with the 409 for a key still in flight.
   * @default 1
   */
  retryAfterSeconds?: number;
  /**
   * Anonymous callers: `ip` scopes their keys by client IP (behind `trustProxy`), `refuse`
   * answers 401 on idempotent routes when no principal is set.
   * @default 'ip'
   */
  anonymous?: IdempotencyAnonymousPolicy;
  /**
   * Whether 5xx outcomes are stored and replayed (Stripe v1). By default they are not: the key
   * is released so the client can retry.
   * @default false
   */
  storeServerErrors?: boolean;
  /**
   * Response headers stored and replayed with the body (case-insensitive). `set-cookie` and
   * hop-by-hop headers are never replayed.
   * @default ['content-type', 'location', 'etag', 'last-modified', 'content-language', 'content-location']
   */
  replayHeaders?: string[];
  /**
   * Largest response body (serialized JSON, bytes) that is stored; a larger one is returned but
   * not stored (the key is released).
   * @default 1048576 (1 MiB)
   */
  maxStoredBytes?: number;
  /**
   * Builds the error thrown for a refused request instead of the default 400/401/409/422/503.
   * @default undefined
   */
  exceptionFactory?: (refusal: IdempotencyRefusal) => unknown;
}

/** Per-route overrides given to `@Idempotent()`. @publicApi */
export interface IdempotentRouteOptions {
  /** Overrides `idempotency.required` for this route. */
  required?: boolean;
  /** Overrides `idempotency.ttlSeconds` for this route. */
  ttlSeconds?: number;
  /**
   * Overrides `idempotency.leaseMs` for this route: a handler that may run longer than the
   * module's lease (plus pauses of the process) needs a longer one, or a retry reaching another
   * instance after the lease expired runs it again.
   */
  leaseMs?: number;
}

/** @internal */
export interface ResolvedIdempotencyOptions {
  enabled: boolean;
  applyTo: IdempotencyScope;
  /** Lower-cased header name. */
  header: string;
  required: boolean;
  ttlMs: number;
  leaseMs: number;
  retryAfterSeconds: number;
  anonymous: IdempotencyAnonymousPolicy;
  storeServerErrors: boolean;
  /** Lower-cased. */
  replayHeaders: string[];
  maxStoredBytes: number;
  exceptionFactory?: (refusal: IdempotencyRefusal) => unknown;
}

const KEYS = optionKeys<IdempotencyOptions>()([
  'enabled',
  'applyTo',
  'header',
  'required',
  'ttlSeconds',
  'leaseMs',
  'retryAfterSeconds',
  'anonymous',
  'storeServerErrors',
  'replayHeaders',
  'maxStoredBytes',
  'exceptionFactory',
]);

/** Never replayed: per-response or connection-level. */
const NEVER_REPLAYED = new Set([
  'set-cookie',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'trailer',
  'te',
  'proxy-authenticate',
  'proxy-authorization',
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** Validates `idempotency` once at boot. @internal */
export function resolveIdempotencyOptions(
  value: unknown,
  _ctx: ResolveContext,
  path = 'idempotency',
): ResolvedIdempotencyOptions {
  const raw = readStrictSection(value, KEYS, path);
  const header = readString(raw, 'header', path, 'Idempotency-Key').toLowerCase();
  if (!TOKEN.test(header)) {
    throw SecurityConfigError.create(
      join(path, 'header'),
      `"${header}" is not a valid header name`,
      'Use e.g. "Idempotency-Key"',
    );
  }
  const replayHeaders = readStringArray(raw, 'replayHeaders', path, [
    'content-type',
    'location',
    'etag',
    'last-modified',
    'content-language',
    'content-location',
  ]).map((h, i) => {
    const lower = h.toLowerCase();
    if (NEVER_REPLAYED.has(lower)) {
      throw SecurityConfigError.create(
        `${join(path, 'replayHeaders')}[${i}]`,
        `"${h}" must never be replayed (it belongs to one response or connection)`,
        'Remove it',
      );
    }
    return lower;
  });
  const leaseMs = readNumber(raw, 'leaseMs', path, 10_000, { min: 100, max: 600_000, integer: true, unit: 'ms' });
  const ttlSeconds = readNumber(raw, 'ttlSeconds', path, 86_400, {
    min: 1,
    max: 30 * 86_400,
    integer: true,
    unit: 'seconds',
  });
  if (ttlSeconds * 1000 < leaseMs) {
    throw SecurityConfigError.create(
      join(path, 'ttlSeconds'),
      `(${ttlSeconds} s) is shorter than the in-flight lease (${leaseMs} ms)`,
      'Raise ttlSeconds or lower leaseMs',
    );
  }
  const factory = readFunction<(refusal: IdempotencyRefusal) => unknown>(raw, 'exceptionFactory', path);
  return {
    enabled: readBoolean(raw, 'enabled', path, true),
    applyTo: readEnum(raw, 'applyTo', path, ['decorated', 'mutations'], 'decorated'),
    header,
    required: readBoolean(raw, 'required', path, true),
    ttlMs: ttlSeconds * 1000,
    leaseMs,
    retryAfterSeconds: readNumber(raw, 'retryAfterSeconds', path, 1, {
      min: 1,
      max: 3600,
      integer: true,
      unit: 'seconds',
    }),
    anonymous: readEnum(raw, 'anonymous', path, ['ip', 'refuse'], 'ip'),
    storeServerErrors: readBoolean(raw, 'storeServerErrors', path, false),
    replayHeaders,
    maxStoredBytes: readNumber(raw, 'maxStoredBytes', path, 1_048_576, { min: 1, integer: true, unit: 'bytes' }),
    ...(factory ? { exceptionFactory: factory } : {}),
  };
}

/** The injected options idempotency's services read. @internal */
export type IdempotencyFeatureOptions = FeatureOptions<{ idempotency: ResolvedIdempotencyOptions }>;
