import { createTestRedisStorage, redisUrl, uniquePrefix } from '../../test/utils/redis';
import { spawnRedis } from '../../test/fixtures/redis-server';
import { activeMs, timed, timeoutBound } from '../../test/fixtures/time-bound';
import { MemorySecurityStorage } from './memory/memory.storage';
import { RedisSecurityStorage } from './redis/redis.storage';
import { storageKey, type SecurityStorage, type StorageScript } from './security-storage.interface';
import { StorageUnavailableError } from './storage-unavailable.error';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A script with the same semantics in Lua and memory: append ARGV[1] to a list-ish string, return its length. */
const APPEND: StorageScript<[number, string]> = {
  name: 'test-append',
  lua: `
local cur = redis.call('GET', KEYS[1]) or ''
local nxt = cur .. ARGV[1]
redis.call('SET', KEYS[1], nxt, 'PX', ARGV[2])
redis.call('SET', KEYS[2], string.len(nxt), 'PX', ARGV[2])
return { string.len(nxt), nxt }`,
  memory(ops, [key, lenKey], [piece, ttl]) {
    const next = (ops.get(key) ?? '') + piece;
    ops.set(key, next, Number(ttl));
    ops.set(lenKey, String(next.length), Number(ttl));
    return [next.length, next];
  },
};

/** PEXPIRE then PTTL: the memory twin must follow Redis (ttl ≤ 0 deletes, a fraction is refused). */
const PEXPIRE: StorageScript<[number, number]> = {
  name: 'test-pexpire',
  lua: `
local done = redis.call('PEXPIRE', KEYS[1], ARGV[1])
return { done, redis.call('PTTL', KEYS[1]) }`,
  memory(ops, [key], [ttl]) {
    const done = ops.pexpire(key, Number(ttl)) ? 1 : 0;
    return [done, ops.pttl(key)];
  },
};

type Factory = () => Promise<SecurityStorage>;
const backends: Array<[string, Factory]> = [
  ['memory', async () => new MemorySecurityStorage()],
  ['redis', () => createTestRedisStorage('contract')],
];

describe.each(backends)('SecurityStorage contract (%s)', (_name, create) => {
  let storage: SecurityStorage;
  beforeEach(async () => {
    storage = await create();
  });
  afterEach(() => storage.close());

  it('stores, reads and deletes values', async () => {
    expect(await storage.get('a')).toBeNull();
    expect(await storage.set('a', '1', 0)).toBe(true);
    expect(await storage.get('a')).toBe('1');
    expect(await storage.delete('a')).toBe(true);
    expect(await storage.delete('a')).toBe(false);
    expect(await storage.get('a')).toBeNull();
  });

  it('expires values after their ttl', async () => {
    await storage.set('ttl', 'x', 60);
    expect(await storage.get('ttl')).toBe('x');
    await sleep(120);
    expect(await storage.get('ttl')).toBeNull();
  });

  it('writes only-if-absent exactly once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => storage.set('nx', String(i), 1000, { onlyIfAbsent: true })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await storage.set('nx', 'again', 1000, { onlyIfAbsent: true })).toBe(false);
  });

  it('reads several keys in one call, null where absent', async () => {
    await storage.set('m1', 'one', 0);
    await storage.set('m3', 'three', 0);
    expect(await storage.getMany(['m1', 'm2', 'm3'])).toEqual(['one', null, 'three']);
    expect(await storage.getMany([])).toEqual([]);
  });

  it('compares and sets atomically: absent, match, mismatch, delete', async () => {
    expect(await storage.compareAndSet('cas', null, 'v1', 1000)).toBe(true);
    expect(await storage.compareAndSet('cas', null, 'v2', 1000)).toBe(false);
    expect(await storage.compareAndSet('cas', 'wrong', 'v2', 1000)).toBe(false);
    expect(await storage.compareAndSet('cas', 'v1', 'v2', 1000)).toBe(true);
    expect(await storage.get('cas')).toBe('v2');
    expect(await storage.compareAndSet('cas', 'v2', null, 0)).toBe(true);
    expect(await storage.get('cas')).toBeNull();
  });

  it('lets exactly one of many concurrent compare-and-sets win', async () => {
    await storage.set('race', 'gen-0', 1000);
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => storage.compareAndSet('race', 'gen-0', `gen-1-${i}`, 1000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('increments counters and sets the ttl only on creation', async () => {
    const first = await storage.increment('ctr', 1, 1000);
    expect(first.value).toBe(1);
    expect(first.ttlMs).toBeGreaterThan(900);
    await sleep(30);
    const second = await storage.increment('ctr', 2, 1000);
    expect(second.value).toBe(3);
    expect(second.ttlMs).toBeLessThanOrEqual(first.ttlMs);
    const parallel = await Promise.all(Array.from({ length: 10 }, () => storage.increment('ctr', 1, 1000)));
    expect(Math.max(...parallel.map((p) => p.value))).toBe(13);
  });

  it('gives a ttl to a counter written without expiry, and keeps a remaining one', async () => {
    await storage.set('persisted', '5', 0);
    const first = await storage.increment('persisted', 1, 1000);
    expect(first.value).toBe(6);
    expect(first.ttlMs).toBeGreaterThan(900);
    expect(first.ttlMs).toBeLessThanOrEqual(1000);
    const second = await storage.increment('persisted', 1, 60_000);
    expect(second.ttlMs).toBeLessThanOrEqual(1000);
    expect(await storage.increment('no-ttl', 2, 0)).toEqual({ value: 2, ttlMs: -1 });
    expect(await storage.increment('no-ttl', -3, -5)).toEqual({ value: -1, ttlMs: -1 });
  });

  it.each([
    [1.5, 1000],
    [Number.NaN, 1000],
    [2 ** 53, 1000],
    [1, Number.NaN],
    [1, Number.POSITIVE_INFINITY],
  ])('refuses increment(by=%p, ttlMs=%p) before touching the key', async (by, ttlMs) => {
    await expect(storage.increment('bad-args', by, ttlMs)).rejects.toBeInstanceOf(TypeError);
    expect(await storage.get('bad-args')).toBeNull();
  });

  it('refuses to increment a value that is not an integer, and stays healthy', async () => {
    await storage.set('text', 'abc', 0);
    await storage.set('fraction', '1.5', 0);
    await expect(storage.increment('text', 1, 0)).rejects.toThrow(/not an integer or out of range/);
    await expect(storage.increment('fraction', 1, 0)).rejects.toThrow(/not an integer or out of range/);
    expect(await storage.get('text')).toBe('abc');
    expect(storage.isHealthy()).toBe(true);
  });

  it('follows PEXPIRE in scripts: ttl ≤ 0 deletes the key, a fraction is refused', async () => {
    await storage.set('px', 'v', 0);
    const [done, ttl] = await storage.run(PEXPIRE, ['px'], [500]);
    expect(done).toBe(1);
    expect(ttl).toBeGreaterThan(400);
    expect(await storage.run(PEXPIRE, ['px'], [0])).toEqual([1, -2]);
    expect(await storage.get('px')).toBeNull();
    await storage.set('px', 'v', 0);
    expect(await storage.run(PEXPIRE, ['px'], [-5])).toEqual([1, -2]);
    expect(await storage.run(PEXPIRE, ['absent'], [500])).toEqual([0, -2]);
    await storage.set('px', 'v', 0);
    await expect(storage.run(PEXPIRE, ['px'], ['1.5'])).rejects.toThrow(/not an integer or out of range/);
    expect(await storage.get('px')).toBe('v');
  });

  it('runs scripts with the same reply on every backend, keys sharing a hash tag', async () => {
    const keys = [storageKey('test', 'user-1', 'list'), storageKey('test', 'user-1', 'len')];
    expect(await storage.run(APPEND, keys, ['ab', 1000])).toEqual([2, 'ab']);
    expect(await storage.run(APPEND, keys, ['c', 1000])).toEqual([3, 'abc']);
    expect(await storage.get(keys[1])).toBe('3');
  });

  it('reports itself healthy while the backend answers', async () => {
    await storage.get('x');
    expect(storage.isHealthy()).toBe(true);
  });
});

describe('storageKey', () => {
  it('builds {feature:id}:part keys and keeps braces out of the hash tag', () => {
    expect(storageKey('rl', 'ip:1.2.3.4', 'cur')).toBe('{rl:ip:1.2.3.4}:cur');
    expect(storageKey('rl', 'a{b}c')).toBe('{rl:a%7Bb%7Dc}');
  });

  it('never maps two different ids to one key', () => {
    const ids = ['a{b', 'a_b', 'a%7Bb', 'a}b', 'a%b', 'a%25b'];
    expect(new Set(ids.map((id) => storageKey('revoked-sub', id))).size).toBe(ids.length);
  });
});

describe('MemorySecurityStorage', () => {
  it('stays within maxEntries, evicting the least recently written', async () => {
    const storage = new MemorySecurityStorage({ maxEntries: 100 });
    for (let i = 0; i < 250; i++) await storage.set(`k${i}`, 'v', 0);
    expect(storage.size).toBeLessThanOrEqual(100);
    expect(await storage.get('k249')).toBe('v');
    expect(await storage.get('k0')).toBeNull();
  });

  it('sweeps expired entries incrementally without any timer', async () => {
    let now = 1_000;
    const storage = new MemorySecurityStorage({ now: () => now });
    for (let i = 0; i < 50; i++) await storage.set(`old${i}`, 'v', 10);
    now += 100;
    for (let i = 0; i < 50; i++) await storage.set(`new${i}`, 'v', 0);
    // Two entries inspected per write: the 50 expired ones are gone after 50 writes.
    expect(storage.size).toBeLessThanOrEqual(55);
  });
});

describe('RedisSecurityStorage', () => {
  it('falls back to EVAL after the script cache is flushed (NOSCRIPT)', async () => {
    const storage = await createTestRedisStorage('noscript');
    try {
      const keys = [storageKey('t', 'n', 'a'), storageKey('t', 'n', 'b')];
      await storage.run(APPEND, keys, ['x', 1000]);
      const client = storage.getClient() as { script(cmd: string): Promise<unknown> };
      await client.script('FLUSH');
      expect(await storage.run(APPEND, keys, ['y', 1000])).toEqual([2, 'xy']);
    } finally {
      await storage.close();
    }
  });

  it('does not time out a reply that arrived while this process was stalled past the timeout', async () => {
    const storage = new RedisSecurityStorage({
      url: redisUrl(),
      keyPrefix: uniquePrefix('stall'),
      commandTimeoutMs: 50,
    });
    try {
      await storage.connect();
      await storage.set('k', 'v', 0);
      for (let i = 0; i < 5; i++) {
        const reading = storage.get('k');
        // A synchronous stall (GC, a CPU-bound request, a loaded machine) four times the timeout:
        // Redis answers meanwhile, and the answer is in the socket when the timer fires.
        const until = Date.now() + 200;
        while (Date.now() < until);
        await expect(reading).resolves.toBe('v');
      }
      expect(storage.isHealthy()).toBe(true);
    } finally {
      await storage.close();
    }
  });

  it('fails fast with StorageUnavailableError when Redis is down, and recovers when it is back', async () => {
    const redis = await spawnRedis();
    const storage = new RedisSecurityStorage({ url: redis.url, commandTimeoutMs: 100 });
    try {
      await storage.connect();
      await storage.set('k', 'v', 0);
      await redis.stop();
      const call = await timed(() => storage.get('k'));
      expect(call.error).toBeInstanceOf(StorageUnavailableError);
      expect(activeMs(call)).toBeLessThanOrEqual(timeoutBound(100));
      expect(storage.isHealthy()).toBe(false);
      const again = await spawnRedis(redis.port);
      try {
        const deadline = Date.now() + 5_000;
        let value: string | null | undefined;
        while (Date.now() < deadline) {
          value = await storage.get('k').catch(() => undefined);
          if (value !== undefined) break;
          await sleep(100);
        }
        expect(value).toBeNull(); // a fresh server: reachable again, empty
        expect(storage.isHealthy()).toBe(true);
      } finally {
        await again.stop();
      }
    } finally {
      await storage.close();
    }
  });

  it('never closes a client it was given', async () => {
    const owner = await createTestRedisStorage('given');
    const shared = new RedisSecurityStorage({ client: owner.getClient(), keyPrefix: 'given2:' });
    await shared.close();
    await expect(owner.set('still', 'open', 1000)).resolves.toBe(true);
    await owner.close();
  });
});

describe('spawnRedis (test utility)', () => {
  it('rejects with an install hint when the redis-server binary is missing (no crash on ENOENT)', async () => {
    await expect(spawnRedis(undefined, { command: '/nonexistent-rampart-bin/redis-server' })).rejects.toThrow(
      /redis-server was not found on PATH.*apt-get install redis-server/,
    );
  });
});
