import { MemorySecurityStorage } from './memory/memory.storage';
import { describeStorage, resolveStorageOptions, storageKind } from './storage.options';

describe('resolveStorageOptions', () => {
  it('defaults to the bounded memory store', () => {
    expect(resolveStorageOptions(undefined)).toEqual({ type: 'memory', maxEntries: 100_000 });
  });

  it('fills the Redis defaults', () => {
    expect(resolveStorageOptions({ type: 'redis', url: 'redis://127.0.0.1:6379' })).toEqual({
      type: 'redis',
      url: 'redis://127.0.0.1:6379',
      client: undefined,
      keyPrefix: 'rampart:',
      commandTimeoutMs: 75,
    });
  });

  it.each([
    [{ type: 'memory', url: 'redis://x' }, /storage\.url is not a known option/],
    [{ type: 'redis', url: 'redis://x', maxEntries: 10 }, /storage\.maxEntries is not a known option/],
    [{ type: 'redis', url: 'redis://x', keyPrefx: 'a:' }, /Did you mean "storage\.keyPrefix"\?/],
  ])('refuses %j', (value, message) => {
    expect(() => resolveStorageOptions(value)).toThrow(message);
  });

  it('reads a Redis Cluster given by its seed nodes', () => {
    const nodes = [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ];
    const options = { redisOptions: { password: 'x' } };
    expect(resolveStorageOptions({ type: 'redis', cluster: { nodes, options } })).toEqual({
      type: 'redis',
      url: undefined,
      client: undefined,
      cluster: { nodes, options },
      keyPrefix: 'rampart:',
      commandTimeoutMs: 75,
    });
  });

  it.each([
    [
      { type: 'redis', url: 'redis://x', cluster: { nodes: [{ host: 'a', port: 1 }] } },
      /sets url and cluster: only one says where Redis is\. Keep storage\.url for one server, storage\.cluster/,
    ],
    [
      { type: 'redis', cluster: { nodes: [] } },
      /storage\.cluster\.nodes must be a non-empty array of \{ host, port \}, got an empty array/,
    ],
    [{ type: 'redis', cluster: {} }, /storage\.cluster\.nodes must be a non-empty array/],
    [
      { type: 'redis', cluster: { nodes: [{ host: '', port: 7000 }] } },
      /storage\.cluster\.nodes\[0\]\.host must be a non-empty string/,
    ],
    [
      { type: 'redis', cluster: { nodes: [{ host: 'a', port: 70000 }] } },
      /storage\.cluster\.nodes\[0\]\.port must be an integer port/,
    ],
    [
      { type: 'redis', cluster: { nodes: [{ host: 'a', prot: 1 }] } },
      /Did you mean "storage\.cluster\.nodes\[0\]\.port"\?/,
    ],
    [
      { type: 'redis', cluster: { nodes: [{ host: 'a', port: 1 }], option: {} } },
      /Did you mean "storage\.cluster\.options"\?/,
    ],
    [
      { type: 'redis', cluster: { nodes: [{ host: 'a', port: 1 }], options: { scaleReads: 'slave' } } },
      /storage\.cluster\.options\.scaleReads must be "master"/,
    ],
    [{ type: 'redis' }, /has neither url, cluster nor client/],
  ])('refuses the Redis Cluster option %j', (value, message) => {
    expect(() => resolveStorageOptions(value)).toThrow(message);
  });

  it('reads a null-prototype section like a plain one', () => {
    const value = Object.assign(Object.create(null) as Record<string, unknown>, { type: 'memory', maxEntries: 200 });
    expect(resolveStorageOptions(value)).toEqual({ type: 'memory', maxEntries: 200 });
  });

  it('keeps a store instance as given', () => {
    const store = new MemorySecurityStorage();
    expect(resolveStorageOptions(store)).toBe(store);
    expect(storageKind(store)).toBe('custom');
  });
});

describe('describeStorage', () => {
  it.each([
    [{ type: 'redis', url: 'redis://user:hunter2-secret@db.internal:6390/3' }, 'redis db.internal:6390'],
    [{ type: 'redis', url: 'rediss://db.internal' }, 'redis rediss://db.internal:6379'],
    [{ type: 'redis', client: { evalsha() {}, eval() {}, get() {}, on() {} } }, 'redis (client given)'],
    [{ type: 'memory', maxEntries: 500 }, 'memory (max 500 entries)'],
    [
      {
        type: 'redis',
        cluster: { nodes: [{ host: '10.0.0.1', port: 7000 }], options: { redisOptions: { password: 'pw' } } },
      },
      'redis cluster (seeds 10.0.0.1:7000)',
    ],
  ])('describes %j without credentials', (value, expected) => {
    const text = describeStorage(resolveStorageOptions(value));
    expect(text).toBe(expected);
    expect(text).not.toMatch(/hunter2|user/);
  });
});
