import type { MemoryScriptOps, ScriptReply, SecurityStorage, StorageScript } from '../security-storage.interface';

interface Entry {
  value: string;
  /** Epoch ms; 0 = no expiry. */
  expiresAt: number;
}

/** Options of {@link MemorySecurityStorage}. @publicApi */
export interface MemorySecurityStorageOptions {
  /**
   * Most entries held. Past it, expired entries go first, then the least recently written.
   * @default 100000
   */
  maxEntries?: number;
  /** Clock (ms), for tests. @default Date.now */
  now?: () => number;
}

/** How many entries the incremental sweep inspects per write. */
const SWEEP_PER_WRITE = 2;

/**
 * The embedded storage for a single instance: a bounded `Map` with per-entry expiry.
 * Every operation is O(1): expired entries are dropped when read, and an incremental sweep
 * inspects a couple of entries on each write, so there is no timer at all (per key or global)
 * and nothing keeps the process alive. Scripts run synchronously and are therefore atomic.
 *
 * @publicApi
 */
export class MemorySecurityStorage implements SecurityStorage {
  readonly kind = 'memory';
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private sweeper: Iterator<[string, Entry]> = this.entries.entries();
  readonly now: () => number;

  constructor(options: MemorySecurityStorageOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Number of live and not-yet-swept entries (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** Synchronous access for scripts: atomic because nothing else runs meanwhile. */
  private readonly ops: MemoryScriptOps = {
    now: () => this.now(),
    get: (key) => this.live(key)?.value ?? null,
    set: (key, value, ttlMs) => this.write(key, value, ttlMs),
    delete: (key) => this.entries.delete(key),
    pttl: (key) => {
      const entry = this.live(key);
      if (!entry) return -2;
      return entry.expiresAt === 0 ? -1 : entry.expiresAt - this.now();
    },
    pexpire: (key, ttlMs) => {
      const entry = this.live(key);
      if (!entry) return false;
      entry.expiresAt = ttlMs > 0 ? this.now() + ttlMs : 0;
      return true;
    },
  };

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null;
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.live(key)?.value ?? null);
  }

  async set(key: string, value: string, ttlMs: number, opts?: { onlyIfAbsent?: boolean }): Promise<boolean> {
    if (opts?.onlyIfAbsent && this.live(key)) return false;
    this.write(key, value, ttlMs);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.live(key) !== undefined && this.entries.delete(key);
  }

  async compareAndSet(key: string, expected: string | null, value: string | null, ttlMs: number): Promise<boolean> {
    const current = this.live(key)?.value ?? null;
    if (current !== expected) return false;
    if (value === null) this.entries.delete(key);
    else this.write(key, value, ttlMs);
    return true;
  }

  async increment(key: string, by: number, ttlMs: number): Promise<{ value: number; ttlMs: number }> {
    const entry = this.live(key);
    if (!entry) {
      this.write(key, String(by), ttlMs);
      return { value: by, ttlMs: ttlMs > 0 ? ttlMs : -1 };
    }
    const value = Number(entry.value) + by;
    entry.value = String(value);
    return { value, ttlMs: entry.expiresAt === 0 ? -1 : entry.expiresAt - this.now() };
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
    this.entries.clear();
  }

  // ---- internals ----------------------------------------------------------------------------

  private write(key: string, value: string, ttlMs?: number): void {
    const expiresAt = ttlMs !== undefined && ttlMs > 0 ? this.now() + ttlMs : 0;
    // Re-inserting moves the key to the end of the Map: insertion order = write recency.
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt });
    this.sweep();
    if (this.entries.size > this.maxEntries) this.evictOne();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt !== 0 && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Inspects a few entries per write and drops the expired ones; wraps around at the end. */
  private sweep(): void {
    const now = this.now();
    for (let i = 0; i < SWEEP_PER_WRITE; i++) {
      let next = this.sweeper.next();
      if (next.done) {
        this.sweeper = this.entries.entries();
        next = this.sweeper.next();
        if (next.done) return;
      }
      const [key, entry] = next.value;
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.entries.delete(key);
    }
  }

  /** Evicts the least recently written entry (first in insertion order). */
  private evictOne(): void {
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
