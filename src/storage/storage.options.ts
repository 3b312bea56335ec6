import type { FeatureOptions } from '../core/options/core.options';
import { SecurityConfigError } from '../core/errors/security-config.error';
import {
  optionKeys,
  readEnum,
  readNumber,
  readSection,
  readString,
  refuseUnknownKeys,
  type Raw,
} from '../core/options/validate.util';
import type { SecurityStorage } from './security-storage.interface';
import type { MemoryStoragePartitions } from './memory/memory.storage';
import { resolveClusterOptions, type RedisClusterOptions } from './redis/redis-cluster.factory';

/** The embedded store for one instance. @publicApi */
export interface MemoryStorageOptions {
  type: 'memory';
  /**
   * Most entries held in total (the memory bound). Security state (revocations, API keys,
   * idempotency records, nonces) lives in partitions of its own, never evicted: when one is full,
   * its writes fail closed (503 and a `STORAGE_UNAVAILABLE` event) instead of forgetting. Counters
   * (rate limits, login attempts) use the rest and are evicted, expired entries first, then the
   * least recently written (or incremented).
   * @default 100000
   */
  maxEntries?: number;
  /**
   * Entries each security partition may hold; their sum may not exceed `maxEntries`
   * (see `docs/storage.md` for which keys go where).
   * @default { revocations: 20%, apiKeys: 10%, idempotency: 20%, nonces: 20% } of maxEntries
   */
  partitions?: MemoryStoragePartitions;
}

/** A Redis store, shared by every instance of the app. Needs the optional peer `ioredis`. @publicApi */
export interface RedisStorageOptions {
  type: 'redis';
  /** `redis://…` URL; SecurityModule creates the client and closes it on shutdown. */
  url?: string;
  /**
   * An existing ioredis `Redis` or `Cluster` client (checked at boot for `evalsha`, `eval`, `get`
   * and `on`); never closed by SecurityModule.
   */
  client?: unknown;
  /**
   * A Redis Cluster SecurityModule connects to itself (seed `nodes`, optional ioredis
   * `ClusterOptions` merged over its defaults) and closes on shutdown. Exclusive with `url` and
   * `client`.
   */
  cluster?: RedisClusterOptions;
  /**
   * Prefix of every key (outside the `{…}` hash tag, so it may not contain `{` or `}`).
   * @default 'rampart:'
   */
  keyPrefix?: string;
  /**
   * A command slower than this fails with a storage error, so no request hangs on Redis.
   * @default 75
   */
  commandTimeoutMs?: number;
}

/**
 * Where stateful features keep their state: the embedded memory store, Redis, or a custom
 * {@link SecurityStorage} instance.
 *
 * @publicApi
 */
export type StorageOptions = MemoryStorageOptions | RedisStorageOptions | SecurityStorage;

/** @internal */
export type ResolvedStorageOptions = ResolvedMemoryStorageOptions | ResolvedRedisStorageOptions | SecurityStorage;

/** @internal */
export interface ResolvedMemoryStorageOptions {
  type: 'memory';
  maxEntries: number;
  partitions?: MemoryStoragePartitions;
}

/** @internal */
export interface ResolvedRedisStorageOptions {
  type: 'redis';
  url?: string;
  client?: unknown;
  cluster?: RedisClusterOptions;
  keyPrefix: string;
  commandTimeoutMs: number;
}

/** Default bound of the memory store, also used by rate limiting's own memory store. @internal */
export const DEFAULT_MEMORY_MAX_ENTRIES = 100_000;
/** Default prefix of every Redis key. @internal */
export const DEFAULT_KEY_PREFIX = 'rampart:';
const MEMORY_KEYS = optionKeys<MemoryStorageOptions>()(['type', 'maxEntries', 'partitions']);
const PARTITION_KEYS = optionKeys<MemoryStoragePartitions>()(['revocations', 'apiKeys', 'idempotency', 'nonces']);
const REDIS_KEYS = optionKeys<RedisStorageOptions>()([
  'type',
  'url',
  'client',
  'cluster',
  'keyPrefix',
  'commandTimeoutMs',
]);
/** The ioredis methods RedisSecurityStorage calls on a client it is given. */
const REDIS_CLIENT_METHODS = ['evalsha', 'eval', 'get', 'on'] as const;

function isStorageInstance(value: unknown): value is SecurityStorage {
  const v = value as Partial<SecurityStorage> | null;
  return !!v && typeof v === 'object' && typeof v.get === 'function' && typeof v.run === 'function';
}

/** Validates `storage` once at boot. @internal */
export function resolveStorageOptions(value: unknown, _ctx?: unknown, path = 'storage'): ResolvedStorageOptions {
  if (isStorageInstance(value)) return value;
  const raw = readSection(value, path);
  const type = readEnum(raw, 'type', path, ['memory', 'redis'], 'memory');
  if (type === 'memory') {
    refuseUnknownKeys(raw, MEMORY_KEYS, path);
    const maxEntries = readNumber(raw, 'maxEntries', path, DEFAULT_MEMORY_MAX_ENTRIES, { min: 100, integer: true });
    if (raw.partitions === undefined) return { type, maxEntries };
    return { type, maxEntries, partitions: resolvePartitions(raw.partitions, maxEntries, path) };
  }
  refuseUnknownKeys(raw, REDIS_KEYS, path);
  const url = readString(raw, 'url', path);
  if (raw.client !== undefined) checkRedisClient(raw.client, path);
  const given = [url && 'url', raw.client !== undefined && 'client', raw.cluster !== undefined && 'cluster'].filter(
    (k): k is string => typeof k === 'string',
  );
  if (given.length > 1) {
    throw SecurityConfigError.create(
      path,
      `sets ${given.join(' and ')}: only one says where Redis is`,
      'Keep storage.url for one server, storage.cluster for a Redis Cluster SecurityModule connects to, or storage.client for your own ioredis client',
    );
  }
  if (given.length === 0) {
    throw SecurityConfigError.create(
      path,
      'is "redis" but has neither url, cluster nor client',
      'Set storage.url (e.g. process.env.REDIS_URL), storage.cluster: { nodes: [{ host, port }] }, or pass an ioredis client as storage.client',
    );
  }
  const cluster = raw.cluster === undefined ? undefined : resolveClusterOptions(raw.cluster, `${path}.cluster`);
  if (url && !/^rediss?:\/\//.test(url)) {
    throw SecurityConfigError.create(
      `${path}.url`,
      'must start with redis:// or rediss://',
      'Use a Redis URL such as redis://127.0.0.1:6379',
    );
  }
  return {
    type,
    url,
    client: raw.client,
    ...(cluster ? { cluster } : {}),
    keyPrefix: readKeyPrefix(raw, path),
    commandTimeoutMs: readNumber(raw, 'commandTimeoutMs', path, 75, { min: 1, max: 10_000, unit: 'ms' }),
  };
}

function resolvePartitions(value: unknown, maxEntries: number, storagePath: string): MemoryStoragePartitions {
  const path = `${storagePath}.partitions`;
  const raw = readSection(value, path);
  refuseUnknownKeys(raw, PARTITION_KEYS, path);
  const out: MemoryStoragePartitions = {};
  let sum = 0;
  for (const name of PARTITION_KEYS) {
    if (raw[name] === undefined) continue;
    const bound = readNumber(raw, name, path, 0, { min: 1, integer: true });
    out[name] = bound;
    sum += bound;
  }
  if (sum > maxEntries) {
    throw SecurityConfigError.create(
      path,
      `add up to ${sum}, more than ${storagePath}.maxEntries (${maxEntries})`,
      `Lower them or raise ${storagePath}.maxEntries: counters need room of their own`,
    );
  }
  return out;
}

function readKeyPrefix(raw: Raw, path: string): string {
  const keyPrefix = readString(raw, 'keyPrefix', path, DEFAULT_KEY_PREFIX);
  if (/[{}]/.test(keyPrefix)) {
    throw SecurityConfigError.create(
      `${path}.keyPrefix`,
      'must not contain "{" or "}": Redis Cluster hashes the first {…} of a key, so braces in the prefix would replace the per-id hash tags (every key on one slot, or multi-key scripts across slots)',
      'Use a prefix such as "app:"',
    );
  }
  return keyPrefix;
}

function checkRedisClient(client: unknown, path: string): void {
  const missing =
    typeof client === 'object' && client !== null
      ? REDIS_CLIENT_METHODS.filter((m) => typeof (client as Record<string, unknown>)[m] !== 'function')
      : [...REDIS_CLIENT_METHODS];
  if (missing.length > 0) {
    throw SecurityConfigError.create(
      `${path}.client`,
      `does not look like an ioredis client (no ${missing.join(', ')})`,
      'Pass an ioredis Redis or Cluster instance, or storage.url instead',
    );
  }
}

/** The storage kind, as the boot summary and `SecuritySettings` name it. @internal */
export function storageKind(options: ResolvedStorageOptions): 'memory' | 'redis' | 'custom' {
  return 'type' in options ? options.type : 'custom';
}

/**
 * The boot-summary part of the storage: its kind and, for a Redis URL, host and port only (never
 * the user name, the password or the database path).
 *
 * @internal
 */
export function describeStorage(options: ResolvedStorageOptions): string {
  if (!('type' in options)) return `custom (${options.constructor?.name ?? 'object'})`;
  if (options.type === 'memory') return `memory (max ${options.maxEntries} entries)`;
  if (options.cluster) {
    const nodes = options.cluster.nodes.map((n) => `${n.host}:${n.port}`);
    return `redis cluster (seeds ${nodes.join(', ')})`;
  }
  if (!options.url) return 'redis (client given)';
  try {
    const { protocol, hostname, port } = new URL(options.url);
    return `redis ${protocol === 'rediss:' ? 'rediss://' : ''}${hostname}:${port || '6379'}`;
  } catch {
    // An unparsable URL is refused at boot; say nothing of its text (it may hold a password).
    return 'redis';
  }
}

/** The injected options storage's services read. @internal */
export type StorageFeatureOptions = FeatureOptions<{ storage: ResolvedStorageOptions }>;
