interface Entry {
  value: string;
  /** Epoch ms; 0 = no expiry. */
  expiresAt: number;
}

/** Width of one expiry bucket (ms). Entries are indexed by the bucket their expiry falls in. */
const BUCKET_MS = 1_000;
/** How many expired entries each write removes (in expiry order). */
const REAP_PER_WRITE = 2;

/**
 * One table of {@link MemorySecurityStorage}: a `Map` with per-entry expiry and no timer at all, so nothing keeps the process alive.
 * The `Map`'s insertion order is the write recency (a write or an increment re-inserts). Entries
 * with a ttl are also indexed by expiry second, with a small min-heap of those seconds: each write
 * removes a couple of expired entries, earliest first, and an expired entry is always evicted
 * before any live one. Its bound is enforced by the store, which decides what may be evicted. Every operation is O(1), except that creating a new expiry second costs
 * O(log of the number of seconds in use).
 *
 * @internal
 */
export class MemoryPartition {
  private readonly entries = new Map<string, Entry>();
  /** Expiry second → keys expiring in it. Keys without expiry are not indexed. */
  private readonly buckets = new Map<number, Bucket>();
  /**
   * A live iterator parked on the least recently written entry. Restarting `keys()` from the
   * front on every eviction would walk over the holes deleted entries leave in V8's table
   * (measured: tens of µs per eviction at 100 000 entries); a parked one passes each hole once.
   */
  private lru: Iterator<string> = this.entries.keys();
  /** Min-heap of the seconds in `buckets` (may hold seconds whose bucket is gone: skipped lazily). */
  private heap: number[] = [];

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  clear(): void {
    this.entries.clear();
    this.buckets.clear();
    this.heap = [];
    this.lru = this.entries.keys();
  }

  /** Removes an expired entry if there is one; false when every entry is live. */
  dropExpired(): boolean {
    const expired = this.firstExpired();
    if (expired === undefined) return false;
    this.remove(expired);
    return true;
  }

  /** Evicts an expired entry if there is one, else the least recently written (first in order). */
  evictOne(): void {
    if (this.dropExpired()) return;
    // Every key the parked iterator has passed was evicted (a rewrite re-inserts at the end), so
    // it stands on the oldest entry; once done it must restart: a finished iterator stays done.
    let oldest = this.lru.next();
    if (oldest.done) {
      this.lru = this.entries.keys();
      oldest = this.lru.next();
    }
    if (!oldest.done) this.remove(oldest.value);
  }

  /** Moves an existing entry to a new expiry (absolute ms; 0 = none). */
  expireAt(key: string, expiresAt: number): void {
    const entry = this.entries.get(key);
    if (entry) this.reindex(key, entry, expiresAt);
  }

  /** Writes `key` with a new expiry (`ttlMs` ≤ 0 or undefined: none), and reaps a few expired entries. */
  write(key: string, value: string, ttlMs?: number): void {
    const expiresAt = ttlMs !== undefined && ttlMs > 0 ? this.now() + ttlMs : 0;
    const old = this.entries.get(key);
    // Re-inserting moves the key to the end of the Map: insertion order = write recency.
    if (old) this.entries.delete(key);
    const entry: Entry = { value, expiresAt: old ? old.expiresAt : 0 };
    this.entries.set(key, entry);
    this.reindex(key, entry, expiresAt);
    this.reap();
  }

  live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt !== 0 && entry.expiresAt <= this.now()) {
      this.remove(key);
      return undefined;
    }
    return entry;
  }

  remove(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.unindex(key, entry.expiresAt);
    return true;
  }

  /** Moves `key` to the bucket of its new expiry (nothing to do when the second is the same). */
  private reindex(key: string, entry: Entry, expiresAt: number): void {
    if (bucketOf(entry.expiresAt) !== bucketOf(expiresAt)) {
      this.unindex(key, entry.expiresAt);
      this.index(key, expiresAt);
    }
    entry.expiresAt = expiresAt;
  }

  private index(key: string, expiresAt: number): void {
    if (expiresAt === 0) return;
    const second = bucketOf(expiresAt);
    let bucket = this.buckets.get(second);
    if (!bucket) {
      const keys = new Set<string>();
      bucket = { keys, cursor: keys.values(), head: undefined };
      this.buckets.set(second, bucket);
      heapPush(this.heap, second);
      // Seconds of buckets emptied and created again pile up in the heap: rebuild it now and
      // then (amortized O(1): only after more stale pushes than there are live buckets).
      if (this.heap.length > 2 * this.buckets.size + 64) this.heap = heapify([...this.buckets.keys()]);
    }
    bucket.keys.add(key);
  }

  private unindex(key: string, expiresAt: number): void {
    if (expiresAt === 0) return;
    const second = bucketOf(expiresAt);
    const bucket = this.buckets.get(second);
    if (!bucket) return;
    bucket.keys.delete(key);
    if (bucket.keys.size === 0) this.buckets.delete(second);
  }

  /**
   * The key expiring first, if it has expired. Looks only at the earliest second in use (the
   * first key of that bucket, usually its earliest: same-ttl writes arrive in expiry order).
   */
  private firstExpired(): string | undefined {
    while (this.heap.length > 0) {
      const bucket = this.buckets.get(this.heap[0]);
      if (!bucket) {
        heapPop(this.heap); // a stale second: its bucket was emptied
        continue;
      }
      const key = bucketHead(bucket);
      const entry = this.entries.get(key);
      return entry && entry.expiresAt <= this.now() ? key : undefined;
    }
    return undefined;
  }

  /** Removes a few expired entries, earliest first: no timer, no full scan. */
  private reap(): void {
    for (let i = 0; i < REAP_PER_WRITE; i++) {
      const key = this.firstExpired();
      if (key === undefined) return;
      this.remove(key);
    }
  }
}

/** The keys expiring in one second, with a parked cursor on the first one (see `lru`). */
interface Bucket {
  keys: Set<string>;
  cursor: Iterator<string>;
  head: string | undefined;
}

/** The first key of a non-empty bucket, without rescanning the holes at the front of its Set. */
function bucketHead(bucket: Bucket): string {
  if (bucket.head !== undefined && bucket.keys.has(bucket.head)) return bucket.head;
  let next = bucket.cursor.next();
  if (next.done) {
    bucket.cursor = bucket.keys.values();
    next = bucket.cursor.next();
  }
  bucket.head = next.value as string;
  return bucket.head;
}

function bucketOf(expiresAt: number): number {
  return expiresAt === 0 ? 0 : Math.ceil(expiresAt / BUCKET_MS);
}

function heapPush(heap: number[], value: number): void {
  let i = heap.push(value) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= heap[i]) break;
    [heap[parent], heap[i]] = [heap[i], heap[parent]];
    i = parent;
  }
}

function heapPop(heap: number[]): void {
  const last = heap.pop();
  if (last === undefined || heap.length === 0) return;
  heap[0] = last;
  siftDown(heap, 0);
}

function siftDown(heap: number[], start: number): void {
  let i = start;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let smallest = i;
    if (left < heap.length && heap[left] < heap[smallest]) smallest = left;
    if (right < heap.length && heap[right] < heap[smallest]) smallest = right;
    if (smallest === i) return;
    [heap[smallest], heap[i]] = [heap[i], heap[smallest]];
    i = smallest;
  }
}

function heapify(values: number[]): number[] {
  for (let i = (values.length >> 1) - 1; i >= 0; i--) siftDown(values, i);
  return values;
}
