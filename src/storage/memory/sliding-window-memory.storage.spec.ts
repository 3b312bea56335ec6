import { SW } from '../sliding-window.script';
import { SlidingWindowMemoryStorage } from './sliding-window-memory.storage';

/** SLIDING_WINDOW ARGV as numbers: one policy, no escalation. */
const policy = (limit: number, windowMs: number, blockMs = 0) => [1, 0, 0, limit, windowMs, blockMs, 0];

describe('SlidingWindowMemoryStorage', () => {
  let now: number;
  beforeEach(() => {
    now = 1_700_000_000_000;
  });

  it('stays bounded by maxEntries whatever the number of trackers', () => {
    const store = new SlidingWindowMemoryStorage(1_000, () => now);
    for (let i = 0; i < 20_000; i++) store.decide([`ip-${i}`], policy(10, 60_000));
    expect(store.size).toBe(1_000);
    expect(store.has('ip-19999')).toBe(true);
    expect(store.has('ip-0')).toBe(false);
  });

  it('evicts the least recently written key first (recency kept to within a second)', () => {
    const store = new SlidingWindowMemoryStorage(100, () => now);
    store.decide(['active'], policy(1_000, 60_000));
    for (let i = 0; i < 99; i++) store.decide([`idle-${i}`], policy(10, 60_000));
    now += 1_500;
    store.decide(['active'], policy(1_000, 60_000)); // written again: now the most recent
    for (let i = 0; i < 50; i++) store.decide([`new-${i}`], policy(10, 60_000));
    expect(store.has('active')).toBe(true);
    expect(store.has('idle-0')).toBe(false);
    expect(store.size).toBe(100);
  });

  it('keeps counting on the same entry for a returning client, and forgets it after two windows', () => {
    const store = new SlidingWindowMemoryStorage(100, () => now);
    const hits = [1, 2, 3].map(() => store.decide(['k'], policy(5, 1_000))[1 + SW.HITS]);
    expect(hits).toEqual([1, 2, 3]);
    now += 2_000;
    expect(store.has('k')).toBe(false);
    expect(store.decide(['k'], policy(5, 1_000))[1 + SW.HITS]).toBe(1);
  });

  it('keeps a blocked key for as long as its block, beyond two windows', () => {
    const store = new SlidingWindowMemoryStorage(100, () => now);
    store.decide(['k'], policy(1, 1_000, 10_000));
    expect(store.decide(['k'], policy(1, 1_000, 10_000))[0]).toBe(0);
    now += 9_000;
    expect(store.has('k')).toBe(true);
    expect(store.decide(['k'], policy(1, 1_000, 10_000))[0]).toBe(0);
    now += 1_000;
    expect(store.decide(['k'], policy(1, 1_000, 10_000))[0]).toBe(1);
  });
});
