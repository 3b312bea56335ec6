import { storageKey, type SecurityStorage, type StorageScript } from '../storage/security-storage.interface';
import { randomToken } from '../core/random.util';

/** A completed outcome, as stored and replayed. @internal */
export interface StoredResponse {
  /** HTTP status. */
  status: number;
  /** Selected response headers (lower-case names). */
  headers: Record<string, string>;
  /** `body`: the handler's value; `error`: the HttpException's response. */
  kind: 'body' | 'error';
  /** JSON value (`null` for an empty body). */
  payload: unknown;
}

/** The single record kept per key: in flight (a fenced lease) or completed. */
type IdempotencyRecord =
  | { v: 1; state: 'in_flight'; token: string; fingerprint: string }
  | { v: 1; state: 'completed'; fingerprint: string; response: StoredResponse };

/** A held in-flight lease. Every write is a compare-and-set against `value`, which carries the token. @internal */
export interface IdempotencyLease {
  readonly key: string;
  readonly value: string;
  readonly fingerprint: string;
}

/** What acquiring a key found. @internal */
export type AcquireOutcome =
  | { kind: 'acquired'; fingerprint: string; lease: IdempotencyLease }
  | { kind: 'in_flight'; fingerprint: string }
  | { kind: 'completed'; fingerprint: string; response: StoredResponse };

/**
 * Atomically: returns the current record, or — when there is none — writes the in-flight lease
 * and returns nil. One round trip, and exactly one of N concurrent callers (on any number of
 * instances sharing the store) gets nil. @internal
 */
export const ACQUIRE_IDEMPOTENCY_KEY: StorageScript<string | null> = {
  name: 'idempotency-acquire',
  lua: `
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`,
  memory(ops, [key], [value, leaseMs]) {
    const cur = ops.get(key);
    if (cur !== null) return cur;
    ops.set(key, value, Number(leaseMs));
    return null;
  },
};

function parseRecord(raw: string): IdempotencyRecord | undefined {
  try {
    const record = JSON.parse(raw) as IdempotencyRecord;
    return record && record.v === 1 ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The idempotency records on top of {@link SecurityStorage}: one key per (scope, key) holding
 * either a fenced in-flight lease or the completed response. Renewal, completion and release
 * are compare-and-sets against the exact lease value (which carries a random token), so a
 * holder whose lease expired and was taken over can never overwrite the newer holder's result.
 * Every method may reject with the storage's error; the caller fails closed.
 *
 * @internal
 */
export class IdempotencyStore {
  constructor(private readonly storage: SecurityStorage) {}

  /** The storage key of a record id. */
  key(recordId: string): string {
    return storageKey('idem', recordId);
  }

  async acquire(key: string, fingerprint: string, leaseMs: number): Promise<AcquireOutcome> {
    const token = randomToken(12);
    const value = JSON.stringify({ v: 1, state: 'in_flight', token, fingerprint } satisfies IdempotencyRecord);
    const current = await this.storage.run(ACQUIRE_IDEMPOTENCY_KEY, [key], [value, leaseMs]);
    if (current === null) return { kind: 'acquired', fingerprint, lease: { key, value, fingerprint } };
    const record = parseRecord(current);
    if (!record) throw new Error('Unreadable idempotency record');
    if (record.state === 'in_flight') return { kind: 'in_flight', fingerprint: record.fingerprint };
    return { kind: 'completed', fingerprint: record.fingerprint, response: record.response };
  }

  /** Extends the lease; false when it was lost (expired, taken over or completed by someone else). */
  renew(lease: IdempotencyLease, leaseMs: number): Promise<boolean> {
    return this.storage.compareAndSet(lease.key, lease.value, lease.value, leaseMs);
  }

  /** The stored form of a completed response. Throws for values JSON cannot hold (BigInt, cycles). */
  encode(lease: IdempotencyLease, response: StoredResponse): string {
    const record: IdempotencyRecord = { v: 1, state: 'completed', fingerprint: lease.fingerprint, response };
    return JSON.stringify(record);
  }

  /** Replaces the lease by the completed response; false when the lease was lost (nothing written). */
  complete(lease: IdempotencyLease, response: StoredResponse, ttlMs: number): Promise<boolean> {
    return this.completeEncoded(lease, this.encode(lease, response), ttlMs);
  }

  /** {@link complete} with a record already built by {@link encode}. */
  completeEncoded(lease: IdempotencyLease, encoded: string, ttlMs: number): Promise<boolean> {
    return this.storage.compareAndSet(lease.key, lease.value, encoded, ttlMs);
  }

  /** Gives the key back (nothing stored), so the client may retry. */
  release(lease: IdempotencyLease): Promise<boolean> {
    return this.storage.compareAndSet(lease.key, lease.value, null, 0);
  }
}
