import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { SecurityStorage } from '../storage/security-storage.interface';
import { createTestRedisStorage } from '../../test/utils/redis';
import { ADD_DISTINCT } from './distinct-count.script';

describe.each(['memory', 'redis'])('ADD_DISTINCT on the %s store', (kind) => {
  let storage: SecurityStorage;
  beforeAll(async () => {
    storage = kind === 'memory' ? new MemorySecurityStorage() : await createTestRedisStorage('add-distinct');
  });
  afterAll(() => storage.close());

  it('counts distinct members, fires once at the threshold, and stops growing', async () => {
    const add = (member: string) => storage.run(ADD_DISTINCT, ['{anomaly:k}:users'], [member, 3, 60_000]);
    expect(await add('a')).toEqual([1, 0]);
    expect(await add('a')).toEqual([1, 0]);
    expect(await add('b')).toEqual([2, 0]);
    expect(await add('c')).toEqual([3, 1]);
    expect(await add('d')).toEqual([3, 0]);
    expect(await add('c')).toEqual([3, 0]);
  });

  it('lives for the window from its first member', async () => {
    const key = '{anomaly:w}:ips';
    expect(await storage.run(ADD_DISTINCT, [key], ['x', 5, 50])).toEqual([1, 0]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await storage.run(ADD_DISTINCT, [key], ['y', 5, 50])).toEqual([1, 0]);
  });
});
