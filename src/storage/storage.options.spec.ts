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
  ])('describes %j without credentials', (value, expected) => {
    const text = describeStorage(resolveStorageOptions(value));
    expect(text).toBe(expected);
    expect(text).not.toMatch(/hunter2|user/);
  });
});
