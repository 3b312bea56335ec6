import { MemorySecurityStorage } from './memory/memory.storage';
import type { SecurityStorage } from './security-storage.interface';
import { SecurityStorageHealthIndicator } from './storage-health.indicator';

/** A memory store whose reads take `delayMs`, or fail. */
function slowStorage(delayMs: number, fail = false): SecurityStorage {
  const memory = new MemorySecurityStorage();
  return Object.assign(Object.create(memory) as SecurityStorage, {
    kind: 'custom',
    get: (key: string) =>
      new Promise<string | null>((resolve, reject) =>
        setTimeout(() => (fail ? reject(new Error('down')) : resolve(memory.get(key))), delayMs),
      ),
  });
}

describe('SecurityStorageHealthIndicator', () => {
  it('reports up with its latency on a healthy store, under the key given', async () => {
    const result = await new SecurityStorageHealthIndicator(new MemorySecurityStorage()).isHealthy('store');
    expect(result).toEqual({ store: { status: 'up', storage: 'memory', latencyMs: expect.any(Number) } });
  });

  it.each([
    [slowStorage(40), { degradedAfterMs: 10 }, { status: 'degraded', reason: 'slow', storage: 'custom' }],
    [slowStorage(1, true), {}, { status: 'down', reason: 'unreachable', storage: 'custom' }],
    [slowStorage(500), { timeoutMs: 20 }, { status: 'down', reason: 'timeout', storage: 'custom' }],
  ])(
    'reports %#: degraded when slow, down when unreachable or past the timeout',
    async (storage, options, expected) => {
      const result = await new SecurityStorageHealthIndicator(storage).isHealthy('securityStorage', options);
      expect(result.securityStorage).toMatchObject(expected);
    },
  );
});
