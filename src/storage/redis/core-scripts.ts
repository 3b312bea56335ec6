import type { StorageScript } from '../security-storage.interface';

/** Atomic compare-and-set. ARGV: expected ('' + flag), value, ttl, mode. @internal */
export const COMPARE_AND_SET: StorageScript<number> = {
  name: 'compare-and-set',
  // ARGV[1] = '1' when a value is expected, '0' when the key must be absent; ARGV[2] = expected;
  // ARGV[3] = '1' to write / '0' to delete; ARGV[4] = new value; ARGV[5] = ttl ms (≤ 0: none).
  lua: `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur ~= ARGV[2] then return 0 end
else
  if cur then return 0 end
end
if ARGV[3] == '0' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[5]) > 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[4])
end
return 1`,
  memory(ops, [key], [hasExpected, expected, write, value, ttl]) {
    const cur = ops.get(key);
    if (hasExpected === '1' ? cur !== expected : cur !== null) return 0;
    if (write === '0') ops.delete(key);
    else ops.set(key, value, Number(ttl));
    return 1;
  },
};

/** Atomic INCRBY that sets the ttl on creation; replies [value, pttl]. @internal */
export const INCREMENT: StorageScript<number[]> = {
  name: 'increment',
  lua: `
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { v, ttl }`,
  memory(ops, [key], [by, ttl]) {
    const cur = ops.get(key);
    const value = (cur === null ? 0 : Number(cur)) + Number(by);
    if (cur === null) ops.set(key, String(value), Number(ttl));
    else {
      const left = ops.pttl(key);
      ops.set(key, String(value), left > 0 ? left : undefined);
    }
    return [value, ops.pttl(key)];
  },
};
