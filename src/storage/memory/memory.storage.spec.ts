import type { MemoryScriptOps } from '../security-storage.interface';
import { StorageUnavailableError } from '../storage-unavailable.error';
import { MemorySecurityStorage } from './memory.storage';

/** A store on a clock the test moves. */
function clocked(maxEntries = 100) {
  const clock = { now: 1_000_000 };
  const storage = new MemorySecurityStorage({ maxEntries, now: () => clock.now });
  return { storage, clock };
}

describe('MemorySecurityStorage eviction', () => {
  it('evicts expired entries before live ones when full', async () => {
    const { storage, clock } = clocked(100);
    // Live entries first (the least recently written), short-lived ones after them.
    for (let i = 0; i < 50; i++) await storage.set(`live${i}`, 'v', 0);
    for (let i = 0; i < 50; i++) await storage.set(`short${i}`, 'v', 500);
    clock.now += 5_000; // every short entry has expired; none was read since
    for (let i = 0; i < 50; i++) await storage.set(`new${i}`, 'v', 0);
    expect(storage.size).toBeLessThanOrEqual(100);
    for (let i = 0; i < 50; i++) expect(await storage.get(`live${i}`)).toBe('v');
    for (let i = 0; i < 50; i++) expect(await storage.get(`new${i}`)).toBe('v');
  });

  it('evicts the earliest expired entries first, even when they were written last', async () => {
    const { storage, clock } = clocked(100);
    for (let i = 0; i < 60; i++) await storage.set(`long${i}`, 'v', 60_000);
    for (let i = 0; i < 40; i++) await storage.set(`short${i}`, 'v', 1_000);
    clock.now += 2_000;
    for (let i = 0; i < 40; i++) await storage.set(`new${i}`, 'v', 60_000);
    for (let i = 0; i < 60; i++) expect(await storage.get(`long${i}`)).toBe('v');
  });

  it('evicts the least recently written live entry when nothing has expired', async () => {
    const { storage } = clocked(100);
    for (let i = 0; i < 100; i++) await storage.set(`k${i}`, 'v', 60_000);
    await storage.set('k0', 'rewritten', 60_000); // k0 is now the most recent
    await storage.set('extra', 'v', 60_000);
    expect(await storage.get('k0')).toBe('rewritten');
    expect(await storage.get('k1')).toBeNull();
    expect(storage.size).toBe(100);
  });

  it('counts an increment as a use: a counter being incremented is not the one evicted', async () => {
    const { storage } = clocked(100);
    await storage.increment('counter', 1, 60_000);
    for (let i = 0; i < 99; i++) await storage.set(`k${i}`, 'v', 60_000);
    await storage.increment('counter', 1, 60_000);
    await storage.set('extra', 'v', 60_000);
    expect((await storage.increment('counter', 1, 60_000)).value).toBe(3);
    expect(await storage.get('k0')).toBeNull();
  });

  it('stays bounded and keeps its expiry index small under churn', async () => {
    const { storage, clock } = clocked(100);
    for (let i = 0; i < 20_000; i++) {
      clock.now += 7;
      await storage.set(`k${i % 300}`, String(i), 1 + (i % 5_000));
    }
    expect(storage.size).toBeLessThanOrEqual(100);
    for (let i = 19_900; i < 20_000; i++) expect(await storage.get(`k${i % 300}`)).toBe(String(i));
  });
});

describe('MemorySecurityStorage script ops (Redis semantics)', () => {
  it('pexpire with a ttl ≤ 0 deletes the key, as PEXPIRE does', async () => {
    const { storage } = clocked();
    await storage.set('a', 'v', 0);
    const reply = storage.runSync(
      {
        name: 'pexpire',
        lua: '',
        memory: (ops, [key], [ttl]) => [ops.pexpire(key, Number(ttl)) ? 1 : 0, ops.pttl(key)],
      },
      ['a'],
      ['0'],
    );
    expect(reply).toEqual([1, -2]);
    expect(await storage.get('a')).toBeNull();
  });

  it('deletes through ops only what is live (an expired key is absent)', async () => {
    const { storage, clock } = clocked();
    await storage.set('gone', 'v', 10);
    clock.now += 20;
    const reply = storage.runSync(
      { name: 'del', lua: '', memory: (ops, [key]) => (ops.delete(key) ? 1 : 0) },
      ['gone'],
      [],
    );
    expect(reply).toBe(0);
  });
});

describe('MemorySecurityStorage partitions (security state is never evicted for client-creatable entries)', () => {
  const revocation = '{auth:user-1}:jti:abc';
  const apiKey = '{apikey:key-1}';
  const idempotency = '{idem:user-1:k1}';

  function partitioned(onPartitionFull?: jest.Mock, onPartitionAvailable?: jest.Mock) {
    const clock = { now: 1_000_000 };
    const storage = new MemorySecurityStorage({
      maxEntries: 1_000,
      partitions: { revocations: 100, apiKeys: 50, idempotency: 100, nonces: 100 },
      now: () => clock.now,
      onPartitionFull,
      onPartitionAvailable,
    });
    return { storage, clock };
  }

  it('a flood of counters (rate limits, any unknown feature) never evicts revocations, API keys or idempotency records', async () => {
    const { storage } = partitioned();
    await storage.set(revocation, '1', 60_000);
    await storage.set(apiKey, '{"id":"key-1"}', 0);
    await storage.set(idempotency, 'record', 60_000);
    for (let i = 0; i < 20_000; i++) await storage.increment(`{rl:ip-${i}}:default`, 1, 60_000);
    for (let i = 0; i < 5_000; i++) await storage.set(`custom-${i}`, 'v', 60_000);
    expect(await storage.get(revocation)).toBe('1');
    expect(await storage.get(apiKey)).toBe('{"id":"key-1"}');
    expect(await storage.get(idempotency)).toBe('record');
    expect(storage.size).toBeLessThanOrEqual(1_000);
  });

  it('counters may use the room security partitions leave free, and give it back to them', async () => {
    const { storage } = partitioned();
    for (let i = 0; i < 1_000; i++) await storage.set(`{rl:ip-${i}}`, 'v', 60_000);
    expect(storage.size).toBe(1_000);
    for (let i = 0; i < 100; i++) await storage.set(`{auth:u${i}}:before`, '1', 60_000);
    expect(storage.size).toBe(1_000);
    for (let i = 0; i < 100; i++) expect(await storage.get(`{auth:u${i}}:before`)).toBe('1');
  });

  it('a full security partition fails closed: the write throws a storage error, nothing is forgotten', async () => {
    const full = jest.fn();
    const { storage } = partitioned(full);
    await storage.set(revocation, '1', 60_000);
    for (let i = 0; i < 100; i++) await storage.set(`{webhook:id-${i}}`, '1', 60_000, { onlyIfAbsent: true });
    await expect(storage.set('{webhook:one-more}', '1', 60_000, { onlyIfAbsent: true })).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
    await expect(storage.set('{signing-nonce:k:n}', '1', 60_000)).rejects.toThrow(/nonces.*full/);
    expect(await storage.get('{webhook:one-more}')).toBeNull();
    for (let i = 0; i < 100; i++) expect(await storage.get(`{webhook:id-${i}}`)).toBe('1');
    expect(await storage.get(revocation)).toBe('1');
    // Rewriting a key already held needs no room.
    await expect(storage.set('{webhook:id-0}', '2', 60_000)).resolves.toBe(true);
    // One report per refused write (SecurityEvents coalesces them into one event per episode).
    expect(full).toHaveBeenCalledTimes(2);
    expect(full).toHaveBeenCalledWith({ partition: 'nonces', maxEntries: 100 });
  });

  it('a full security partition takes writes again once entries expire, and says so once', async () => {
    const full = jest.fn();
    const available = jest.fn();
    const { storage, clock } = partitioned(full, available);
    for (let i = 0; i < 100; i++) await storage.set(`{idem:u:${i}}`, 'r', 1_000);
    for (let i = 0; i < 3; i++) await expect(storage.set('{idem:u:x}', 'r', 1_000)).rejects.toThrow();
    clock.now += 2_000;
    await expect(storage.set('{idem:u:x}', 'r', 1_000)).resolves.toBe(true);
    await storage.set('{idem:u:y}', 'r', 1_000);
    expect(full).toHaveBeenCalledTimes(3);
    expect(available).toHaveBeenCalledTimes(1);
    expect(available).toHaveBeenCalledWith({ partition: 'idempotency', maxEntries: 100, refusedWrites: 3 });
  });

  it('a script writing into a full security partition throws before writing anything', async () => {
    const { storage } = partitioned();
    for (let i = 0; i < 100; i++) await storage.set(`{idem:u:${i}}`, 'r', 60_000);
    const acquire = {
      name: 'acquire',
      lua: '',
      memory: (ops: MemoryScriptOps, [key]: string[]) => (ops.set(key, 'l'), 1),
    };
    await expect(storage.run(acquire, ['{idem:u:new}'], [])).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await storage.get('{idem:u:new}')).toBeNull();
  });

  it.each([
    [{ partitions: { nonces: 2_000 } }, /partitions exceed maxEntries/],
    [{ partitions: { nonces: -1 } }, /partitions\.nonces must be a whole number/],
    [{ partitions: { nonce: 10 } as never }, /unknown partition "nonce"/],
  ])('refuses bad partition sizes %j', (options, message) => {
    expect(() => new MemorySecurityStorage({ maxEntries: 1_000, ...options })).toThrow(message);
  });

  it('sizes the security partitions from maxEntries by default', () => {
    expect(new MemorySecurityStorage({ maxEntries: 1_000 }).partitionBounds).toEqual({
      revocations: 200,
      apiKeys: 100,
      idempotency: 200,
      nonces: 200,
    });
  });
});
