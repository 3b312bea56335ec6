/**
 * Raw access to the in-memory map, handed to a script's `memory` implementation. Everything a
 * memory script does runs synchronously, so it is atomic exactly like a Lua script in Redis.
 *
 * @publicApi
 */
export interface MemoryScriptOps {
  /** Current time in ms (the storage's clock). */
  now(): number;
  get(key: string): string | null;
  /** `ttlMs` ≤ 0 or undefined: no expiry. */
  set(key: string, value: string, ttlMs?: number): void;
  delete(key: string): boolean;
  /** Remaining time to live in ms; -1 for no expiry, -2 when the key is absent (Redis PTTL). */
  pttl(key: string): number;
  /**
   * Sets a new expiry on an existing key; false when absent. As PEXPIRE: a ttl ≤ 0 deletes the
   * key, and a ttl that is not an integer throws.
   */
  pexpire(key: string, ttlMs: number): boolean;
}

/** A value a Lua script may return (Redis reply types). @publicApi */
export type ScriptReply = number | string | null | ScriptReply[];

/**
 * An atomic operation defined twice: once in Lua for Redis, once in TypeScript for the memory
 * store. Both must return the same reply for the same state; the shared storage contract tests
 * check it. Keys are logical (the storage adds its prefix); keys touched by one script must share
 * a `{…}` hash tag so the script works on Redis Cluster (see {@link storageKey}).
 *
 * @publicApi
 */
export interface StorageScript<R extends ScriptReply = ScriptReply> {
  /** Unique name (for diagnostics). */
  readonly name: string;
  /** The Lua body. KEYS and ARGV as in `EVAL`. Integers only in numeric replies. */
  readonly lua: string;
  /** The same operation on the memory store. Arguments arrive as strings, as in Redis. */
  memory(ops: MemoryScriptOps, keys: string[], args: string[]): R;
}

/**
 * The one storage abstraction every stateful feature uses: rate limits, idempotency, token
 * revocation, refresh families, API keys and replay nonces. Implementations: the bounded
 * {@link MemorySecurityStorage} (one instance) and {@link RedisSecurityStorage} (shared).
 *
 * Every method may reject with {@link StorageUnavailableError}; callers decide the failure policy
 * (and fail closed unless documented otherwise).
 *
 * @publicApi
 */
export interface SecurityStorage {
  /** `'memory'`, `'redis'`, or a custom name. */
  readonly kind: string;
  get(key: string): Promise<string | null>;
  /** Reads several keys in one round trip; `null` where absent. */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  /**
   * Writes `value` with a time to live (ms; ≤ 0 means none). With `onlyIfAbsent` the write
   * happens only when the key does not exist (SET NX). Resolves to whether it was written.
   */
  set(key: string, value: string, ttlMs: number, opts?: { onlyIfAbsent?: boolean }): Promise<boolean>;
  /** Resolves to whether a key was removed. */
  delete(key: string): Promise<boolean>;
  /**
   * Atomically replaces the value when it currently equals `expected` (`null`: absent) and sets
   * the ttl. Resolves to whether it was replaced. `value` null deletes the key.
   */
  compareAndSet(key: string, expected: string | null, value: string | null, ttlMs: number): Promise<boolean>;
  /**
   * Atomically increments an integer counter. The ttl (ms; ≤ 0: none) is set when the key has
   * none (created now, or written without expiry); a remaining ttl is kept. `by` must be a safe
   * integer, and a stored value that is not an integer rejects, on every backend.
   */
  increment(key: string, by: number, ttlMs: number): Promise<{ value: number; ttlMs: number }>;
  /** Runs an atomic script (EVALSHA on Redis, a synchronous function in memory). */
  run<R extends ScriptReply>(
    script: StorageScript<R>,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<R>;
  /** Whether the backend answered its last command (cheap, no I/O). */
  isHealthy(): boolean;
  /** Releases what this storage created (never a client it was given). */
  close(): Promise<void>;
}

/** Injection token of the {@link SecurityStorage} (interface + token of the same name). @publicApi */
export const SecurityStorage = Symbol('SECURITY:STORAGE');

/**
 * Builds a logical key `{feature:id}:part` whose `{…}` hash tag keeps all parts of one id on
 * one Redis Cluster slot.
 *
 * @publicApi
 */
export function storageKey(feature: string, id: string, part?: string): string {
  const safe = hashTagSafe(id);
  return part ? `{${feature}:${safe}}:${part}` : `{${feature}:${safe}}`;
}

const UNSAFE_IN_TAG = /[%{}]/;

/**
 * An id made safe inside a `{…}` hash tag: braces would move the tag, so `{`, `}` and `%` are
 * percent-encoded. Reversible, so two different ids never share a key (replacing braces with a
 * placeholder made `a{b` and `a_b` share revocations and rate-limit buckets).
 *
 * @internal
 */
export function hashTagSafe(id: string): string {
  if (!UNSAFE_IN_TAG.test(id)) return id;
  return id.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'));
}
