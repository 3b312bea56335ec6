import type { ThrottlerStorage } from '@nestjs/throttler';
import { SW } from '../sliding-window.script';
import { SlidingWindowMemoryStorage } from './sliding-window-memory.storage';
import { DEFAULT_MEMORY_MAX_ENTRIES } from '../storage.options';

/** The record `ThrottlerStorage.increment` resolves to (derived from @nestjs/throttler's public type). @publicApi */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Options of {@link MemoryThrottlerStorage}. @publicApi */
export interface MemoryThrottlerStorageOptions {
  /**
   * Most keys held (one per tracker × route × throttler); past it the least recently written go.
   * @default 100000
   */
  maxEntries?: number;
  /** Clock (ms), for tests. @default Date.now */
  now?: () => number;
}

/**
 * A bounded, timer-free in-memory `ThrottlerStorage` for `@nestjs/throttler`: a sliding-window
 * counter (two numbers per key, see {@link SLIDING_WINDOW}), idle keys expire, at most `maxEntries`
 * keys, and nothing captures the request's AsyncLocalStorage context. Drop-in:
 * `ThrottlerModule.forRoot({ throttlers: [...], storage: new MemoryThrottlerStorage() })`.
 *
 * `blockDuration` is honoured as given (0 = no penalty box: the client may retry as soon as the
 * window allows); hits while blocked neither count nor extend the block.
 *
 * @publicApi
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly store: SlidingWindowMemoryStorage;
  private readonly keys: string[] = [''];
  /** SLIDING_WINDOW's ARGV as numbers: cost 1, no escalation, then limit, window, block, no burst. */
  private readonly args = new Float64Array([1, 0, 0, 0, 0, 0, 0]);

  constructor(options: MemoryThrottlerStorageOptions = {}) {
    this.store = new SlidingWindowMemoryStorage(options.maxEntries ?? DEFAULT_MEMORY_MAX_ENTRIES, options.now);
  }

  /** Number of keys held (for tests and metrics). */
  get size(): number {
    return this.store.size;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return this.incrementSync(key, ttl, limit, blockDuration, throttlerName);
  }

  /** The same decision without a promise (what `increment` resolves to). */
  incrementSync(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ThrottlerStorageRecord {
    // Reused buffers: the script reads them synchronously, so no allocation per call.
    this.keys[0] = `${throttlerName}:${key}`;
    this.args[3] = limit;
    this.args[4] = Math.max(1, Math.ceil(ttl));
    this.args[5] = Math.max(0, Math.ceil(blockDuration));
    return toRecord(this.store.decide(this.keys, this.args));
  }
}

/** Maps a one-key {@link SLIDING_WINDOW} reply to @nestjs/throttler's record (times in seconds). @internal */
export function toRecord(reply: readonly number[]): ThrottlerStorageRecord {
  const rejected = reply[1 + SW.REJECTED] === 1;
  return {
    totalHits: reply[1 + SW.HITS],
    timeToExpire: Math.ceil(reply[1 + SW.RESET] / 1000),
    isBlocked: rejected,
    timeToBlockExpire: rejected ? Math.ceil(reply[1 + SW.RETRY] / 1000) : 0,
  };
}
