import type { MemoryScriptOps, ScriptReply, SecurityStorage, StorageScript } from '../security-storage.interface';
import { checkIncrementArgs, INCREMENT, redisInteger } from '../redis/core-scripts';
import { StorageUnavailableError } from '../storage-unavailable.error';
import { MemoryPartition } from './memory-partition';
import { DEFAULT_MEMORY_MAX_ENTRIES } from '../storage.options';

/**
 * The partitions of security state in {@link MemorySecurityStorage}, each with its own bound.
 * Which storage keys land in each (by the feature in the key's `{feature:id}` tag):
 *
 * - `revocations`: `auth` (revoked token ids, revoked sessions, "revoked before" marks, refresh
 *   token families);
 * - `apiKeys`: `apikey` (API-key records and their last-use stamps);
 * - `idempotency`: `idem` (idempotency records and their leases);
 * - `nonces`: `webhook`, `signing-nonce` (replay protection of webhooks and signed requests).
 *
 * Every other key (rate-limit counters, login attempts, throttler buckets, a custom feature's
 * keys) is a counter: entries a client can create at will, which may be evicted.
 *
 * @publicApi
 */
export interface MemoryStoragePartitions {
  /** @default 20% of `maxEntries` */
  revocations?: number;
  /** @default 10% of `maxEntries` */
  apiKeys?: number;
  /** @default 20% of `maxEntries` */
  idempotency?: number;
  /** @default 20% of `maxEntries` */
  nonces?: number;
}

/** A security partition's name. @publicApi */
export type MemoryPartitionName = keyof MemoryStoragePartitions;

/** What {@link MemorySecurityStorageOptions.onPartitionFull} and `onPartitionAvailable` receive. @publicApi */
export interface MemoryPartitionReport {
  partition: MemoryPartitionName;
  /** The partition's bound. */
  maxEntries: number;
  /** Writes refused while it was full (`onPartitionAvailable` only). */
  refusedWrites?: number;
}

/** Options of {@link MemorySecurityStorage}. @publicApi */
export interface MemorySecurityStorageOptions {
  /**
   * Most entries held in total (the memory bound). Security state lives in bounded partitions
   * (see `partitions`) and is never evicted: a write to a full security partition throws a
   * {@link StorageUnavailableError}, which every feature answers as an outage (503), rather than
   * forgetting a revocation, an API key, an idempotency record or a nonce. Counters (rate limits,
   * login attempts, anything else) use the rest, and any room a security partition does not use;
   * they are evicted when needed, expired entries first, then the least recently written (a write
   * or an increment counts as a use).
   * @default 100000
   */
  maxEntries?: number;
  /** Bound of each security partition; their sum may not exceed `maxEntries`. */
  partitions?: MemoryStoragePartitions;
  /**
   * Called for each write a full security partition refuses (SecurityModule turns them into one
   * `STORAGE_UNAVAILABLE` event per episode, with counts).
   */
  onPartitionFull?: (report: MemoryPartitionReport) => void;
  /** Called on the first write a full security partition accepts again, with the refused count. */
  onPartitionAvailable?: (report: MemoryPartitionReport) => void;
  /** Clock (ms), for tests. @default Date.now */
  now?: () => number;
}

/** Default share of `maxEntries` for each security partition. */
const DEFAULT_SHARE: Readonly<Record<MemoryPartitionName, number>> = {
  revocations: 0.2,
  apiKeys: 0.1,
  idempotency: 0.2,
  nonces: 0.2,
};

/** The feature of a key's `{feature:id}` tag → its security partition. */
const FEATURE_PARTITION: ReadonlyMap<string, MemoryPartitionName> = new Map([
  ['auth', 'revocations'],
  ['apikey', 'apiKeys'],
  ['idem', 'idempotency'],
  ['webhook', 'nonces'],
  ['signing-nonce', 'nonces'],
]);

/** A write refused because a security partition of the memory store is full. @publicApi */
export class StoragePartitionFullError extends StorageUnavailableError {
  constructor(readonly partition: MemoryPartitionName) {
    super(`Memory storage partition "${partition}" is full`);
  }
}

interface SecurityPartition {
  name: MemoryPartitionName;
  table: MemoryPartition;
  maxEntries: number;
  /** Writes refused in the current full episode; 0 when accepting. */
  refused: number;
}

/**
 * The embedded storage for a single instance: bounded tables with per-entry expiry and no timer
 * at all, so nothing keeps the process alive (see `MemoryPartition`). Security state (revocations,
 * API keys, idempotency records, nonces) lives in partitions of its own that are never evicted;
 * counters share the rest and are evicted, expired entries first, then the least recently
 * written. Every operation is O(1), except that creating a new expiry second costs O(log of the
 * number of seconds in use). Scripts run synchronously and are therefore atomic.
 *
 * @publicApi
 */
export class MemorySecurityStorage implements SecurityStorage {
  readonly kind = 'memory';
  private readonly maxEntries: number;
  private readonly counters: MemoryPartition;
  private readonly secured = new Map<MemoryPartitionName, SecurityPartition>();
  private readonly onFull?: (report: MemoryPartitionReport) => void;
  private readonly onAvailable?: (report: MemoryPartitionReport) => void;
  readonly now: () => number;

  constructor(options: MemorySecurityStorageOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MEMORY_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
    this.onFull = options.onPartitionFull;
    this.onAvailable = options.onPartitionAvailable;
    this.counters = new MemoryPartition(this.now);
    for (const [name, maxEntries] of Object.entries(partitionBounds(this.maxEntries, options.partitions))) {
      const partition = name as MemoryPartitionName;
      this.secured.set(partition, { name: partition, table: new MemoryPartition(this.now), maxEntries, refused: 0 });
    }
  }

  /** Number of live and not-yet-removed expired entries (for tests and metrics). */
  get size(): number {
    let size = this.counters.size;
    for (const partition of this.secured.values()) size += partition.table.size;
    return size;
  }

  /** The bound of each security partition. */
  get partitionBounds(): Record<MemoryPartitionName, number> {
    const bounds = {} as Record<MemoryPartitionName, number>;
    for (const partition of this.secured.values()) bounds[partition.name] = partition.maxEntries;
    return bounds;
  }

  /** Synchronous access for scripts: atomic because nothing else runs meanwhile. Redis semantics. */
  private readonly ops: MemoryScriptOps = {
    now: () => this.now(),
    get: (key) => this.tableOf(key).live(key)?.value ?? null,
    set: (key, value, ttlMs) => this.write(key, value, ttlMs),
    delete: (key) => this.remove(key),
    pttl: (key) => {
      const entry = this.tableOf(key).live(key);
      if (!entry) return -2;
      return entry.expiresAt === 0 ? -1 : entry.expiresAt - this.now();
    },
    pexpire: (key, ttlMs) => {
      // PEXPIRE refuses a non-integer, and a ttl ≤ 0 deletes the key.
      const ttl = redisInteger(String(ttlMs));
      const table = this.tableOf(key);
      if (!table.live(key)) return false;
      if (ttl <= 0) return table.remove(key);
      table.expireAt(key, this.now() + ttl);
      return true;
    },
  };

  async get(key: string): Promise<string | null> {
    return this.tableOf(key).live(key)?.value ?? null;
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return this.getManySync(keys);
  }

  /** {@link getMany} without the promise, for hot paths that know the store is memory. */
  getManySync(keys: readonly string[]): (string | null)[] {
    return keys.map((key) => this.tableOf(key).live(key)?.value ?? null);
  }

  async set(key: string, value: string, ttlMs: number, opts?: { onlyIfAbsent?: boolean }): Promise<boolean> {
    if (opts?.onlyIfAbsent && this.tableOf(key).live(key)) return false;
    this.write(key, value, ttlMs);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.remove(key);
  }

  async compareAndSet(key: string, expected: string | null, value: string | null, ttlMs: number): Promise<boolean> {
    const table = this.tableOf(key);
    const current = table.live(key)?.value ?? null;
    if (current !== expected) return false;
    if (value === null) table.remove(key);
    else this.write(key, value, ttlMs);
    return true;
  }

  /** The same script as on Redis (its memory twin): same validation, ttl and reply. */
  async increment(key: string, by: number, ttlMs: number): Promise<{ value: number; ttlMs: number }> {
    checkIncrementArgs(by, ttlMs);
    const [value, ttl] = INCREMENT.memory(this.ops, [key], [String(by), String(Math.ceil(ttlMs))]);
    return { value, ttlMs: ttl };
  }

  async run<R extends ScriptReply>(
    script: StorageScript<R>,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<R> {
    return script.memory(this.ops, [...keys], args.map(String));
  }

  /** Runs a script synchronously (no promise), for hot paths that know the store is memory. */
  runSync<R extends ScriptReply>(script: StorageScript<R>, keys: string[], args: string[]): R {
    return script.memory(this.ops, keys, args);
  }

  isHealthy(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.counters.clear();
    for (const partition of this.secured.values()) partition.table.clear();
  }

  // ---- internals ----------------------------------------------------------------------------

  /** The security partition of a key (by the feature of its `{feature:id}` tag), if any. */
  private partitionOf(key: string): SecurityPartition | undefined {
    if (key.charCodeAt(0) !== 123 /* { */) return undefined;
    let end = 1;
    while (end < key.length) {
      const c = key.charCodeAt(end);
      if (c === 58 /* : */ || c === 125 /* } */) break;
      end++;
    }
    const name = FEATURE_PARTITION.get(key.slice(1, end));
    return name === undefined ? undefined : this.secured.get(name);
  }

  private tableOf(key: string): MemoryPartition {
    return this.partitionOf(key)?.table ?? this.counters;
  }

  private remove(key: string): boolean {
    const table = this.tableOf(key);
    return table.live(key) !== undefined && table.remove(key);
  }

  /**
   * Writes `key`. A new key in a full security partition is refused (after dropping an expired
   * entry if there is one) before anything is written; past the total bound, a counter goes.
   */
  private write(key: string, value: string, ttlMs?: number): void {
    const partition = this.partitionOf(key);
    const table = partition?.table ?? this.counters;
    if (partition && !table.has(key) && table.size >= partition.maxEntries && !table.dropExpired()) {
      this.refuse(partition);
    }
    table.write(key, value, ttlMs);
    if (partition && partition.refused > 0) this.accepting(partition);
    // Security partitions sum to at most maxEntries, so past it there is always a counter to evict.
    if (this.size > this.maxEntries) this.counters.evictOne();
  }

  private refuse(partition: SecurityPartition): never {
    partition.refused++;
    this.onFull?.({ partition: partition.name, maxEntries: partition.maxEntries });
    throw new StoragePartitionFullError(partition.name);
  }

  private accepting(partition: SecurityPartition): void {
    const refusedWrites = partition.refused;
    partition.refused = 0;
    this.onAvailable?.({ partition: partition.name, maxEntries: partition.maxEntries, refusedWrites });
  }
}

/** Validated bounds of the security partitions (defaults: shares of `maxEntries`). */
function partitionBounds(
  maxEntries: number,
  given: MemoryStoragePartitions | undefined,
): Record<MemoryPartitionName, number> {
  const names = Object.keys(DEFAULT_SHARE) as MemoryPartitionName[];
  for (const key of Object.keys(given ?? {})) {
    if (!names.includes(key as MemoryPartitionName)) {
      throw new TypeError(`MemorySecurityStorage: unknown partition "${key}" (use ${names.join(', ')})`);
    }
  }
  const bounds = {} as Record<MemoryPartitionName, number>;
  let sum = 0;
  for (const name of names) {
    const value = given?.[name] ?? Math.max(1, Math.floor(maxEntries * DEFAULT_SHARE[name]));
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`MemorySecurityStorage: partitions.${name} must be a whole number ≥ 1, got ${value}`);
    }
    bounds[name] = value;
    sum += value;
  }
  if (sum > maxEntries) {
    throw new TypeError(`MemorySecurityStorage: partitions exceed maxEntries (${sum} > ${maxEntries})`);
  }
  return bounds;
}
