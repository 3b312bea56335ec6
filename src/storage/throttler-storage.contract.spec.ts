import type { ThrottlerStorage } from '@nestjs/throttler';
import { redisUrl, uniquePrefix } from '../../test/utils/redis';
import { spawnRedis } from '../../test/fixtures/redis-server';
import { activeMs, timed, timeoutBound } from '../../test/fixtures/time-bound';
import { MemoryThrottlerStorage } from './memory/memory-throttler.storage';
import { RedisThrottlerStorage } from './redis/redis-throttler.storage';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Closable = ThrottlerStorage & { onApplicationShutdown?: () => Promise<void> };
const backends: Array<[string, () => Closable]> = [
  ['memory', () => new MemoryThrottlerStorage()],
  [
    'redis',
    () =>
      new RedisThrottlerStorage({
        url: redisUrl(),
        keyPrefix: uniquePrefix('throttler-contract'),
        commandTimeoutMs: 1_000,
      }),
  ],
];

/**
 * @nestjs/throttler's storage behaviours, against both storages: hits, ttl, limit, blockDuration
 * and named throttlers. Windows are sliding (see SLIDING_WINDOW): a key is fully forgotten after two
 * windows, and a rejected hit is never counted.
 */
describe.each(backends)('ThrottlerStorage contract (%s)', (_name, create) => {
  let storage: Closable;
  let n = 0;
  let key: string;
  beforeEach(() => {
    storage = create();
    key = `tracker-${++n}-${Date.now()}`;
  });
  afterEach(() => storage.onApplicationShutdown?.());

  it('counts hits per key and reports the time to expire in seconds', async () => {
    const first = await storage.increment(key, 60_000, 10, 60_000, 'default');
    const second = await storage.increment(key, 60_000, 10, 60_000, 'default');
    expect(first).toMatchObject({ totalHits: 1, isBlocked: false, timeToBlockExpire: 0 });
    expect(second.totalHits).toBe(2);
    expect(second.timeToExpire).toBeGreaterThan(0);
    expect(second.timeToExpire).toBeLessThanOrEqual(60);
    const other = await storage.increment(`${key}-other`, 60_000, 10, 60_000, 'default');
    expect(other.totalHits).toBe(1);
  });

  it('blocks past the limit for blockDuration, without counting or extending while blocked', async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await storage.increment(key, 60_000, 3, 30_000, 'default'));
    expect(results.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
    expect(results[3].totalHits).toBeGreaterThan(3);
    expect(results[3].timeToBlockExpire).toBe(30);
    await sleep(1_100);
    const again = await storage.increment(key, 60_000, 3, 30_000, 'default');
    expect(again.isBlocked).toBe(true);
    expect(again.timeToBlockExpire).toBeLessThanOrEqual(29);
  });

  it('honours blockDuration 0: rejected while over the limit, no penalty box', async () => {
    for (let i = 0; i < 2; i++) await storage.increment(key, 1_000, 2, 0, 'default');
    const rejected = await storage.increment(key, 1_000, 2, 0, 'default');
    expect(rejected.isBlocked).toBe(true);
    expect(rejected.timeToBlockExpire).toBeGreaterThanOrEqual(1);
    expect(rejected.timeToBlockExpire).toBeLessThanOrEqual(2);
    await sleep(2_050); // two windows: the estimate has decayed to 0
    const after = await storage.increment(key, 1_000, 2, 0, 'default');
    expect(after).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('lets the client in again once the ttl window has slid past', async () => {
    for (let i = 0; i < 3; i++) await storage.increment(key, 1_000, 3, 1_000, 'default');
    expect((await storage.increment(key, 1_000, 3, 1_000, 'default')).isBlocked).toBe(true);
    await sleep(2_050);
    expect((await storage.increment(key, 1_000, 3, 1_000, 'default')).isBlocked).toBe(false);
  });

  it('keeps named throttlers independent for the same key', async () => {
    await storage.increment(key, 60_000, 1, 60_000, 'short');
    expect((await storage.increment(key, 60_000, 1, 60_000, 'short')).isBlocked).toBe(true);
    const long = await storage.increment(key, 60_000, 5, 60_000, 'long');
    expect(long).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('admits exactly `limit` hits under concurrency', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, () => storage.increment(key, 60_000, 15, 60_000, 'default')),
    );
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(15);
  });
});

describe('RedisThrottlerStorage failure policy', () => {
  it('answers from the insurance limiter when Redis is unreachable (failOpen), and reports the switch', async () => {
    const states: string[] = [];
    const storage = new RedisThrottlerStorage({
      url: 'redis://127.0.0.1:1',
      commandTimeoutMs: 50,
      onStateChange: (s) => states.push(s),
    });
    const calls = [];
    for (let i = 0; i < 3; i++) calls.push(await timed(() => storage.increment('k', 60_000, 2, 60_000, 'default')));
    // Nobody waits on an unreachable Redis beyond the command timeout (time this process was stalled aside).
    for (const call of calls) expect(activeMs(call)).toBeLessThanOrEqual(timeoutBound(50));
    expect(calls.map((r) => r.value?.isBlocked)).toEqual([false, false, true]);
    expect(states).toEqual(['unavailable']);
    expect(storage.isDegraded).toBe(true);
    await storage.onApplicationShutdown();
  });

  it('keeps answering within the timeout while a real Redis is stopped, and shares limits again once it is back', async () => {
    let redis = await spawnRedis();
    const states: string[] = [];
    // A stopped Redis refuses connections: calls fail at once, they never wait for the timeout.
    // So the timeout can be generous, and a busy machine cannot turn a slow healthy reply into a
    // fallback while the limits are meant to be shared again.
    const timeoutMs = 2_000;
    const make = () =>
      new RedisThrottlerStorage({
        url: redis.url,
        keyPrefix: 'outage:',
        commandTimeoutMs: timeoutMs,
        onStateChange: (s) => states.push(s),
      });
    const a = make();
    const b = make();
    try {
      expect((await a.increment('k0', 60_000, 3, 0, 'default')).isBlocked).toBe(false);
      await redis.stop();
      const during = [];
      for (let i = 0; i < 4; i++) during.push(await timed(() => a.increment('k1', 60_000, 3, 0, 'default')));
      // The insurance limiter still limits (3), per instance, and nobody waited on a dead Redis.
      expect(during.map((r) => r.value?.isBlocked)).toEqual([false, false, false, true]);
      for (const call of during) expect(activeMs(call)).toBeLessThan(timeoutMs);
      expect(a.isDegraded).toBe(true);

      redis = await spawnRedis(redis.port);
      const deadline = Date.now() + 8_000;
      while (a.isDegraded && Date.now() < deadline) {
        await a.increment('probe-a', 60_000, 1_000, 0, 'default');
        await new Promise((r) => setTimeout(r, 200));
      }
      while (b.isDegraded && Date.now() < deadline) {
        await b.increment('probe-b', 60_000, 1_000, 0, 'default');
        await new Promise((r) => setTimeout(r, 200));
      }
      expect([a.isDegraded, b.isDegraded]).toEqual([false, false]);
      expect(states.filter((s) => s === 'recovered').length).toBeGreaterThanOrEqual(1);
      // Shared again: two storages (two app instances) draw from one budget of 3.
      const shared = [];
      for (let i = 0; i < 6; i++)
        shared.push((await (i % 2 ? a : b).increment('k2', 60_000, 3, 0, 'default')).isBlocked);
      expect(shared).toEqual([false, false, false, true, true, true]);
    } finally {
      await a.onApplicationShutdown();
      await b.onApplicationShutdown();
      await redis.stop();
    }
  });

  it('does not wait on a Redis that stopped answering (CLIENT PAUSE) beyond the command timeout', async () => {
    const redis = await spawnRedis();
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    const failClosed = new RedisThrottlerStorage({ url: redis.url, commandTimeoutMs: 100, failOpen: false });
    const failOpen = new RedisThrottlerStorage({ url: redis.url, commandTimeoutMs: 100 });
    try {
      await failOpen.increment('warm', 60_000, 5, 0, 'default');
      await failClosed.increment('warm', 60_000, 5, 0, 'default');
      // WRITE mode holds every script (EVALSHA) while the admin connection can still UNPAUSE (in
      // finally): a pause far longer than the test, so a slow machine cannot outlive it.
      await admin.call('CLIENT', 'PAUSE', '600000', 'WRITE');
      const open = await timed(() => failOpen.increment('slow', 60_000, 5, 0, 'default'));
      expect(open.value?.isBlocked).toBe(false);
      const closed = await timed(() => failClosed.increment('slow', 60_000, 5, 0, 'default'));
      expect(closed.error).toMatchObject({ status: 503, response: { code: 'STORAGE_UNAVAILABLE' } });
      for (const call of [open, closed]) expect(activeMs(call)).toBeLessThanOrEqual(timeoutBound(100));
      expect(failOpen.isDegraded).toBe(true);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.disconnect();
      await failOpen.onApplicationShutdown();
      await failClosed.onApplicationShutdown();
      await redis.stop();
    }
  });

  it('answers 503 when failOpen is false', async () => {
    const storage = new RedisThrottlerStorage({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 50, failOpen: false });
    await expect(storage.increment('k', 60_000, 2, 60_000, 'default')).rejects.toMatchObject({ status: 503 });
    await storage.onApplicationShutdown();
  });
});
