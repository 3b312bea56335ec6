import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { AuthFeatureOptions } from '../auth.options';
import { SECURITY_OPTIONS } from '../../core/security.constants';
import { SecurityEventType } from '../../core/events/security-event.interface';
import { SecurityEvents } from '../../core/events/security-events.service';
import { MemorySecurityStorage } from '../../storage/memory/memory.storage';
import { SecurityStorage, storageKey, type StorageScript } from '../../storage/security-storage.interface';
import { StorageUnavailableError } from '../../storage/storage-unavailable.error';

/**
 * The revocation log: a counter and one entry per revocation (`<seq key>:<n>`, expiring with the
 * revocation), all under one hash tag so both scripts stay on one Redis Cluster slot.
 */
const LOG_KEY = storageKey('auth-log', 'revocations', 'seq');
/** Entries read per round trip while catching up. */
const READ_BATCH = 500;

/** Appends one revocation record. KEYS: the log counter. ARGV: record, ttl ms. Returns its number. @internal */
export const APPEND_REVOCATION: StorageScript<number> = {
  name: 'append-revocation',
  lua: `
local n = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[1] .. ':' .. n, ARGV[1], 'PX', ARGV[2])
return n`,
  memory(ops, [key], [record, ttl]) {
    const n = Number(ops.get(key) ?? '0') + 1;
    ops.set(key, String(n));
    ops.set(`${key}:${n}`, record, Number(ttl));
    return n;
  },
};

/**
 * Reads the records after `from`, at most `max` of them. KEYS: the log counter. ARGV: from, max.
 * Returns `[to, last, ...records]` (expired entries skipped). A counter below `from` means Redis
 * lost its data: reading restarts at 0. @internal
 */
export const READ_REVOCATIONS: StorageScript<(number | string)[]> = {
  name: 'read-revocations',
  lua: `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local from = tonumber(ARGV[1])
if from > last then from = 0 end
local to = math.min(last, from + tonumber(ARGV[2]))
local out = { to, last }
for i = from + 1, to do
  local v = redis.call('GET', KEYS[1] .. ':' .. i)
  if v then out[#out + 1] = v end
end
return out`,
  memory(ops, [key], [fromArg, max]) {
    const last = Number(ops.get(key) ?? '0');
    let from = Number(fromArg);
    if (from > last) from = 0;
    const to = Math.min(last, from + Number(max));
    const out: (number | string)[] = [to, last];
    for (let i = from + 1; i <= to; i++) {
      const v = ops.get(`${key}:${i}`);
      if (v !== null) out.push(v);
    }
    return out;
  },
};

/**
 * The opt-in local replica of revocations (`auth.revocation.outage: 'replica'`). Every revocation
 * is also appended to a log in the storage; each instance reads the log every
 * `auth.revocation.pollIntervalMs` and keeps the revocations in memory until the tokens they
 * revoke expire, at most `auth.revocation.maxEntries`. When the storage does not answer, the
 * per-request check reads this replica instead of failing closed: every revocation known to the
 * instance before the outage (those older than one poll interval, and every one made through this
 * instance) still holds. The replica is not used before its first complete read, nor while a
 * revocation it had to drop when full could still matter (then requests fail closed, as by
 * default). One `REVOCATION_REPLICA_ACTIVE` event when
 * requests switch to it, one `REVOCATION_REPLICA_RELEASED` when the storage answers again.
 *
 * @internal
 */
@Injectable()
export class RevocationReplica implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RevocationReplica');
  /** Storage key → value and expiry (ms). */
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  /** Whether the replica runs at all (opted in, on a storage that can be down). */
  readonly enabled: boolean;
  private readonly maxEntries: number;
  private readonly pollIntervalMs: number;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private lastSeq = 0;
  /** Time of the last read that reached the end of the log (0: never). */
  private syncedAt = 0;
  /** Until when a revocation the full replica had to drop could still matter (ms; 0: none). */
  private incompleteUntil = 0;
  /** Set while requests are checked against the replica: when, and how many. */
  private outage?: { since: number; checks: number };

  constructor(
    @Inject(SecurityStorage) private readonly storage: SecurityStorage,
    @Inject(SECURITY_OPTIONS) options: AuthFeatureOptions,
    private readonly events: SecurityEvents,
  ) {
    const { revocation } = options.auth;
    // The memory store is in this process: it is never unreachable, there is nothing to replicate.
    this.enabled = revocation.outage === 'replica' && !(storage instanceof MemorySecurityStorage);
    this.maxEntries = revocation.maxEntries;
    this.pollIntervalMs = revocation.pollIntervalMs;
  }

  /** Reads the whole log once at boot (a Redis that is down does not stop the boot), then polls. */
  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.poll(), this.pollIntervalMs);
    this.timer.unref();
    await this.poll();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** Records a revocation just written to the storage: in the log for every instance, and here. */
  async record(key: string, value: string, ttlMs: number): Promise<void> {
    if (!this.enabled) return;
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const expiresAt = Date.now() + ttl;
    this.remember(key, value, expiresAt);
    await this.storage.run(APPEND_REVOCATION, [LOG_KEY], [JSON.stringify([key, value, expiresAt]), ttl]);
  }

  /**
   * The values of `keys` as the replica knows them, for a check the storage could not answer
   * (`error`). Rethrows `error` when the replica cannot stand in: not a storage outage, never
   * synced, or full.
   */
  lookup(keys: readonly string[], error: unknown): (string | null)[] {
    if (!(error instanceof StorageUnavailableError) || this.syncedAt === 0 || this.incompleteUntil > Date.now()) {
      throw error;
    }
    if (!this.outage) {
      this.outage = { since: Date.now(), checks: 0 };
      this.events.emit({
        type: SecurityEventType.REVOCATION_REPLICA_ACTIVE,
        outcome: 'info',
        reason: 'storage_unavailable',
        details: { entries: this.entries.size, stalenessMs: Date.now() - this.syncedAt },
      });
    }
    this.outage.checks += 1;
    return this.known(keys);
  }

  /** The values of `keys` the replica holds (null where it holds none, or an expired one). */
  known(keys: readonly string[]): (string | null)[] {
    const now = Date.now();
    return keys.map((key) => {
      const entry = this.entries.get(key);
      return entry && entry.expiresAt > now ? entry.value : null;
    });
  }

  /** The storage answered a check: ends an episode of checks against the replica. */
  storageAnswered(): void {
    if (!this.outage) return;
    const { since, checks } = this.outage;
    this.outage = undefined;
    this.events.emit({
      type: SecurityEventType.REVOCATION_REPLICA_RELEASED,
      outcome: 'info',
      reason: 'storage_recovered',
      details: { checks, durationMs: Date.now() - since },
    });
  }

  /** Whether requests are being checked against the replica right now. */
  get inUse(): boolean {
    return this.outage !== undefined;
  }

  /** Whether the replica has read the whole log at least once. */
  get synced(): boolean {
    return this.syncedAt > 0;
  }

  /**
   * Reads the log now, after any read in flight (resolves once read, or once the read failed):
   * for tests and diagnostics.
   */
  async sync(): Promise<void> {
    await this.polling;
    await this.poll();
  }

  private poll(): Promise<void> {
    this.polling ??= this.readLog().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** Reads the log to its end (in batches), then drops expired entries. */
  private async readLog(): Promise<void> {
    try {
      for (;;) {
        const [to, last, ...records] = await this.storage.run(READ_REVOCATIONS, [LOG_KEY], [this.lastSeq, READ_BATCH]);
        for (const record of records) this.apply(String(record));
        this.lastSeq = Number(to);
        if (Number(to) >= Number(last)) break;
      }
      this.syncedAt = Date.now();
    } catch (error) {
      // An outage: keep what is known; the next poll resumes where this one stopped.
      if (!(error instanceof StorageUnavailableError))
        this.logger.warn(`reading the revocation log failed: ${String(error)}`);
    }
    this.sweep();
  }

  private apply(record: string): void {
    try {
      const [key, value, expiresAt] = JSON.parse(record) as [string, string, number];
      if (typeof key === 'string' && typeof value === 'string' && typeof expiresAt === 'number') {
        this.remember(key, value, expiresAt);
      }
    } catch {
      // Not a record this version wrote: skip it.
    }
  }

  private remember(key: string, value: string, expiresAt: number): void {
    if (expiresAt <= Date.now()) return;
    const known = this.entries.get(key);
    if (!known && this.entries.size >= this.maxEntries) {
      this.sweep();
      if (this.entries.size >= this.maxEntries) {
        if (this.incompleteUntil <= Date.now()) {
          this.logger.warn(
            `the revocation replica is full (${this.maxEntries} entries): during an outage requests fail closed until the revocations it could not keep expire. Raise auth.revocation.maxEntries`,
          );
        }
        // A revocation the replica does not hold: it must not answer for tokens until this one expires.
        this.incompleteUntil = Math.max(this.incompleteUntil, expiresAt);
        return;
      }
    }
    this.entries.set(key, { value, expiresAt: Math.max(expiresAt, known?.expiresAt ?? 0) });
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
