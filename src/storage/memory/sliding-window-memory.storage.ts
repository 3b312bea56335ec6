import { decideSlidingWindow, type SlidingWindowIo } from '../sliding-window.script';
import { DEFAULT_MEMORY_MAX_ENTRIES } from '../storage.options';

/** Slots per entry: the 7 stored fields of SLIDING_WINDOW, the expiry and the last move (epoch ms). */
const SLOTS = 9;
const EXPIRES = 7;
const MOVED = 8;
/**
 * A written entry moves to the end of the eviction order at most this often: recency to within a
 * second, without a Map delete + insert on every hit of an active client.
 */
const RECENCY_MS = 1_000;
/** Entries the incremental sweep inspects per write. */
const SWEEP_PER_WRITE = 2;

/**
 * One key's state, SLOTS numbers. A plain array of doubles is about 120 bytes on the heap, where a
 * `Float64Array` costs its own object, an ArrayBuffer and an off-heap backing store: a tracked key
 * took 630 bytes of RSS with one, 315 with this (`node --expose-gc bench/dist/bench/micro/memory-per-key.js`).
 */
function newEntry(): number[] {
  return new Array<number>(SLOTS).fill(0);
}

/**
 * The in-memory home of sliding windows for one instance: the same decision as the
 * `SLIDING_WINDOW` script (one shared function, checked against the Lua twin), with each
 * key's state kept as numbers instead of the Redis string layout, so a decision neither formats nor
 * parses anything and allocates no entry for a returning client. Bounded (`maxEntries`, least
 * recently written evicted first, recency kept to within a second), no timer: expired entries are
 * dropped when read and by an incremental sweep of two entries per insertion.
 *
 * @internal
 */
export class SlidingWindowMemoryStorage {
  private readonly entries = new Map<string, number[]>();
  private sweeper: Iterator<[string, number[]]> = this.entries.entries();
  private keys: readonly string[] = [];
  private at = 0;
  /** Entries found by `load`, reused by `save` (no second lookup). */
  private found: Array<number[] | undefined> = [];

  constructor(
    private readonly maxEntries = DEFAULT_MEMORY_MAX_ENTRIES,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keys held, live or not yet swept (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** Whether `key` holds live state (for tests and diagnostics). */
  has(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry[EXPIRES] > this.now();
  }

  /**
   * Decides one request for `keys` (one per policy) with `args`, SLIDING_WINDOW's ARGV as numbers.
   * Returns the script's reply.
   */
  decide(keys: readonly string[], args: ArrayLike<number>): number[] {
    this.keys = keys;
    this.at = this.now();
    return decideSlidingWindow(args, keys.length, this.at, this.io);
  }

  private readonly io: SlidingWindowIo = {
    load: (i, into) => {
      const key = this.keys[i];
      const entry = this.entries.get(key);
      if (entry === undefined) {
        this.found[i] = undefined;
        return false;
      }
      if (entry[EXPIRES] <= this.at) {
        this.entries.delete(key);
        this.found[i] = undefined;
        return false;
      }
      this.found[i] = entry;
      for (let f = 0; f < EXPIRES; f++) into[f] = entry[f];
      return true;
    },
    save: (i, from, ttlMs) => {
      const key = this.keys[i];
      const found = this.found[i];
      this.found[i] = undefined;
      const entry = found ?? newEntry();
      for (let f = 0; f < EXPIRES; f++) entry[f] = from[f];
      entry[EXPIRES] = this.at + ttlMs;
      this.sweep();
      if (found !== undefined && this.at - found[MOVED] < RECENCY_MS) return;
      // (Re-)inserting puts the key at the end of the Map: insertion order = write recency.
      if (found !== undefined) this.entries.delete(key);
      entry[MOVED] = this.at;
      this.entries.set(key, entry);
      if (this.entries.size > this.maxEntries) this.evictOldest();
    },
  };

  /** Inspects a few entries per write and drops the expired ones; wraps around at the end. */
  private sweep(): void {
    for (let i = 0; i < SWEEP_PER_WRITE; i++) {
      let next = this.sweeper.next();
      if (next.done) {
        this.sweeper = this.entries.entries();
        next = this.sweeper.next();
        if (next.done) return;
      }
      if (next.value[1][EXPIRES] <= this.at) this.entries.delete(next.value[0]);
    }
  }

  private evictOldest(): void {
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
