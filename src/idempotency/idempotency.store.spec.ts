import { createTestRedisStorage } from '../../test/utils/redis';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { SecurityStorage } from '../storage/security-storage.interface';
import { IdempotencyStore, type StoredResponse } from './idempotency.store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const response: StoredResponse = { status: 201, headers: { location: '/x/1' }, kind: 'body', payload: { id: 1 } };

const backends: Array<[string, () => Promise<SecurityStorage>]> = [
  ['memory', async () => new MemorySecurityStorage()],
  ['redis', () => createTestRedisStorage('idem-store')],
];

describe.each(backends)('IdempotencyStore (%s)', (_name, create) => {
  let storage: SecurityStorage;
  let store: IdempotencyStore;
  beforeEach(async () => {
    storage = await create();
    store = new IdempotencyStore(storage);
  });
  afterEach(() => storage.close());

  it('grants the lease to exactly one of many concurrent acquirers', async () => {
    const key = store.key('race');
    const outcomes = await Promise.all(Array.from({ length: 25 }, () => store.acquire(key, 'fp', 5_000)));
    expect(outcomes.filter((o) => o.kind === 'acquired')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'in_flight')).toHaveLength(24);
  });

  it('completes a held lease and then reports the stored response with its fingerprint', async () => {
    const key = store.key('complete');
    const first = await store.acquire(key, 'fp-1', 5_000);
    if (first.kind !== 'acquired') throw new Error('expected the lease');
    expect(await store.complete(first.lease, response, 60_000)).toBe(true);
    expect(await store.acquire(key, 'fp-2', 5_000)).toEqual({ kind: 'completed', fingerprint: 'fp-1', response });
  });

  it('fences a stale holder: after its lease expired and was taken over, it can neither complete, renew nor release', async () => {
    const key = store.key('fenced');
    const stale = await store.acquire(key, 'fp', 80);
    if (stale.kind !== 'acquired') throw new Error('expected the lease');
    await sleep(150);
    const fresh = await store.acquire(key, 'fp', 5_000);
    if (fresh.kind !== 'acquired') throw new Error('expected the lease after expiry');
    expect(await store.renew(stale.lease, 5_000)).toBe(false);
    expect(await store.complete(stale.lease, { ...response, payload: 'stale' }, 60_000)).toBe(false);
    expect(await store.release(stale.lease)).toBe(false);
    expect(await store.complete(fresh.lease, response, 60_000)).toBe(true);
    const now = await store.acquire(key, 'fp', 5_000);
    expect(now.kind === 'completed' && now.response.payload).toEqual({ id: 1 });
  });

  it('renews a held lease so it outlives its initial ttl', async () => {
    const key = store.key('renew');
    const held = await store.acquire(key, 'fp', 120);
    if (held.kind !== 'acquired') throw new Error('expected the lease');
    for (let i = 0; i < 4; i++) {
      await sleep(50);
      expect(await store.renew(held.lease, 120)).toBe(true);
    }
    expect((await store.acquire(key, 'fp', 120)).kind).toBe('in_flight');
  });

  it('releases a lease so the next request runs', async () => {
    const key = store.key('release');
    const held = await store.acquire(key, 'fp', 5_000);
    if (held.kind !== 'acquired') throw new Error('expected the lease');
    expect(await store.release(held.lease)).toBe(true);
    expect((await store.acquire(key, 'fp', 5_000)).kind).toBe('acquired');
  });
});
