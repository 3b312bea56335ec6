import { SecurityConfigError } from '../errors/security-config.error';
import { compileIpMatcher } from '../context/client-ip';
import type { SecurityStorage } from '../../storage/security-storage.interface';
import type { ResolvedCoreOptions, SecurityProfile } from './core.options';
import type { ResolveContext, ResolvedSecurityOptions, SecurityModuleOptions } from './security-options.interface';
import {
  deepFreeze,
  describe,
  readBoolean,
  readEnum,
  readNumber,
  readSection,
  readString,
  readStrictSection,
  readStringArray,
  refuseUnknownKeys,
  type Raw,
} from './validate.util';
import { resolveAuthOptions } from './auth.options';
import { resolveAuthorizationOptions } from './authorization.options';
import { resolveCorsOptions } from './cors.options';
import { resolveGraphqlOptions } from './graphql.options';
import { resolveHeadersOptions } from './headers.options';
import { resolveIdempotencyOptions } from './idempotency.options';
import { LEGACY_RATE_LIMIT_HEADERS, resolveRateLimitOptions } from './rate-limit.options';
import { resolveResponseFilteringOptions } from './response-filtering.options';
import { resolveSigningOptions } from './signing.options';
import { resolveValidationOptions } from './validation.options';
import { resolveInventoryOptions } from '../../inventory/inventory.options';

const PROFILES = ['development', 'staging', 'production'] as const;

/** Every top-level option, in documentation order. */
export const TOP_LEVEL_KEYS = [
  'profile',
  'storage',
  'trustProxy',
  'requestId',
  'errors',
  'events',
  'auth',
  'authorization',
  'responseFiltering',
  'rateLimit',
  'idempotency',
  'validation',
  'headers',
  'cors',
  'signing',
  'graphql',
  'inventory',
  'isGlobal',
] as const;

function isStorageInstance(value: unknown): value is SecurityStorage {
  const v = value as Partial<SecurityStorage> | null;
  return !!v && typeof v === 'object' && typeof v.get === 'function' && typeof v.run === 'function';
}

function resolveStorage(value: unknown): ResolvedCoreOptions['storage'] {
  if (value === undefined) return { type: 'memory', maxEntries: 100_000 };
  if (isStorageInstance(value)) return value;
  const raw = readSection(value, 'storage');
  const type = readEnum(raw, 'type', 'storage', ['memory', 'redis'], 'memory');
  if (type === 'memory') {
    refuseUnknownKeys(raw, ['type', 'maxEntries'], 'storage');
    return { type, maxEntries: readNumber(raw, 'maxEntries', 'storage', 100_000, { min: 100, integer: true }) };
  }
  refuseUnknownKeys(raw, ['type', 'url', 'client', 'keyPrefix', 'commandTimeoutMs'], 'storage');
  const url = readString(raw, 'url', 'storage');
  if (raw.client !== undefined) checkRedisClient(raw.client);
  if (!url && !raw.client) {
    throw SecurityConfigError.create(
      'storage',
      'is "redis" but has neither url nor client',
      'Set storage.url (e.g. process.env.REDIS_URL) or pass an ioredis client as storage.client',
    );
  }
  if (url && !/^rediss?:\/\//.test(url)) {
    throw SecurityConfigError.create(
      'storage.url',
      'must start with redis:// or rediss://',
      'Use a Redis URL such as redis://127.0.0.1:6379',
    );
  }
  const keyPrefix = readString(raw, 'keyPrefix', 'storage', 'rampart:');
  if (/[{}]/.test(keyPrefix)) {
    throw SecurityConfigError.create(
      'storage.keyPrefix',
      'must not contain "{" or "}": Redis Cluster hashes the first {…} of a key, so braces in the prefix would replace the per-id hash tags (every key on one slot, or multi-key scripts across slots)',
      'Use a prefix such as "app:"',
    );
  }
  return {
    type,
    url,
    client: raw.client,
    keyPrefix,
    commandTimeoutMs: readNumber(raw, 'commandTimeoutMs', 'storage', 75, { min: 1, max: 10_000, unit: 'ms' }),
  };
}

/** The ioredis methods RedisSecurityStorage calls on a client it is given. */
const REDIS_CLIENT_METHODS = ['evalsha', 'eval', 'get', 'on'] as const;

function checkRedisClient(client: unknown): void {
  const missing =
    typeof client === 'object' && client !== null
      ? REDIS_CLIENT_METHODS.filter((m) => typeof (client as Record<string, unknown>)[m] !== 'function')
      : [...REDIS_CLIENT_METHODS];
  if (missing.length > 0) {
    throw SecurityConfigError.create(
      'storage.client',
      `does not look like an ioredis client (no ${missing.join(', ')})`,
      'Pass an ioredis Redis or Cluster instance, or storage.url instead',
    );
  }
}

/** An HTTP header name (RFC 9110 token): anything else would make every response throw. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function readHeaderName(raw: Raw, key: string, path: string, fallback: string): string {
  const name = readString(raw, key, path, fallback);
  if (!HEADER_NAME.test(name)) {
    throw SecurityConfigError.create(
      `${path}.${key}`,
      `"${name}" is not a valid HTTP header name`,
      'Use letters, digits and "-", e.g. "X-Request-ID"',
    );
  }
  return name;
}

function resolveCore(raw: Raw): ResolvedCoreOptions {
  const defaultProfile: SecurityProfile = process.env.NODE_ENV === 'production' ? 'production' : 'development';
  const profile = readEnum(raw, 'profile', '', PROFILES, defaultProfile);
  const requestId = readStrictSection(raw.requestId, ['header', 'trustIncoming'], 'requestId');
  const errors = readStrictSection(raw.errors, ['format'], 'errors');
  const events = readStrictSection(raw.events, ['enabled', 'logger', 'sinks', 'redactKeys'], 'events');
  const sinks = events.sinks === undefined ? [] : events.sinks;
  if (!Array.isArray(sinks) || sinks.some((s) => typeof s !== 'function')) {
    throw SecurityConfigError.create(
      'events.sinks',
      `must be an array of functions, got ${describe(sinks)}`,
      'Pass e.g. [(event) => shipper.send(event)]',
    );
  }
  return {
    profile,
    storage: resolveStorage(raw.storage),
    trustProxy: readStringArray(raw, 'trustProxy', '', []),
    requestId: {
      header: readHeaderName(requestId, 'header', 'requestId', 'X-Request-ID').toLowerCase(),
      trustIncoming: readBoolean(requestId, 'trustIncoming', 'requestId', true),
    },
    errors: { format: readEnum(errors, 'format', 'errors', ['nest', 'problem+json'], 'nest') },
    events: {
      enabled: readBoolean(events, 'enabled', 'events', true),
      logger: readBoolean(events, 'logger', 'events', true),
      // A copy: deep-freezing the resolved options must not freeze (or alias) the caller's array.
      sinks: [...sinks] as ResolvedCoreOptions['events']['sinks'],
      redactKeys: readStringArray(events, 'redactKeys', 'events', []).map((k) => k.toLowerCase()),
    },
  };
}

/**
 * Merges defaults into the user's options, validates every value, derives what requests need
 * (compiled matchers, header strings, imported keys) and deep-freezes the result. Runs once, at
 * boot; throws {@link SecurityConfigError} on the first problem, naming the option and the fix.
 *
 * @publicApi
 */
export function resolveSecurityOptions(options: SecurityModuleOptions | undefined): ResolvedSecurityOptions {
  const raw = readSection(options, 'options');
  refuseUnknownKeys(raw, TOP_LEVEL_KEYS, '');
  const core = resolveCore(raw);
  const ctx: ResolveContext = {
    profile: core.profile,
    isTrustedProxy: compileIpMatcher(core.trustProxy, 'trustProxy'),
  };
  const rateLimit = resolveRateLimitOptions(raw.rateLimit, ctx);
  const resolved: ResolvedSecurityOptions = {
    ...core,
    // [options:resolve] one line per feature
    auth: resolveAuthOptions(raw.auth, ctx),
    authorization: resolveAuthorizationOptions(raw.authorization, ctx),
    responseFiltering: resolveResponseFilteringOptions(raw.responseFiltering, ctx),
    rateLimit,
    idempotency: resolveIdempotencyOptions(raw.idempotency, ctx),
    validation: resolveValidationOptions(raw.validation, ctx),
    headers: resolveHeadersOptions(raw.headers, ctx),
    // Scripts can read the legacy rate-limit headers too when they are sent.
    cors: resolveCorsOptions(raw.cors, ctx, 'cors', rateLimit.headers.legacy ? LEGACY_RATE_LIMIT_HEADERS : []),
    signing: resolveSigningOptions(raw.signing, ctx),
    graphql: resolveGraphqlOptions(raw.graphql, ctx),
    inventory: resolveInventoryOptions(raw.inventory, ctx),
  };
  return deepFreeze(resolved);
}
