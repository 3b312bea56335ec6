import { MemoryThrottlerStorage } from './memory-throttler.storage';

describe('MemoryThrottlerStorage', () => {
  it('stays bounded by maxEntries whatever the number of trackers', async () => {
    const storage = new MemoryThrottlerStorage({ maxEntries: 1_000 });
    for (let i = 0; i < 20_000; i++) await storage.increment(`ip-${i}`, 60_000, 10, 0, 'default');
    expect(storage.size).toBeLessThanOrEqual(1_000);
  });

  it('creates no timer per hit (nothing keeps the process alive or pins request context)', () => {
    const spy = jest.spyOn(global, 'setTimeout');
    const storage = new MemoryThrottlerStorage();
    for (let i = 0; i < 1_000; i++) storage.incrementSync('k', 60_000, 10_000, 0, 'default');
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('evicts idle keys while other clients keep it busy, so memory follows the active clients only', () => {
    let now = 1_700_000_000_000;
    const storage = new MemoryThrottlerStorage({ now: () => now });
    for (let i = 0; i < 5_000; i++) storage.incrementSync(`idle-${i}`, 1_000, 10, 0, 'default');
    expect(storage.size).toBe(5_000);
    now += 2_000; // two windows: every one of those keys has expired
    for (let i = 0; i < 3_000; i++) storage.incrementSync('active', 1_000, 1_000_000, 0, 'default');
    expect(storage.size).toBe(1);
  });

  it('forgets idle keys once their windows have passed', () => {
    let now = 1_700_000_000_000;
    const storage = new MemoryThrottlerStorage({ now: () => now });
    for (let i = 0; i < 3; i++) storage.incrementSync('k', 1_000, 3, 0, 'default');
    expect(storage.incrementSync('k', 1_000, 3, 0, 'default').isBlocked).toBe(true);
    now += 2_000;
    expect(storage.incrementSync('k', 1_000, 3, 0, 'default')).toEqual({
      totalHits: 1,
      timeToExpire: 1,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });
});
