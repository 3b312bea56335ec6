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

/**
 * A Redis integer (string2ll: optional minus, no leading zeros, no sign or spaces), as JS number.
 * Throws Redis's own error text otherwise, so the memory twin fails exactly where Redis does.
 *
 * @internal
 */
export function redisInteger(text: string): number {
  const value = Number(text);
  if (!/^(0|-?[1-9]\d*)$/.test(text) || !Number.isSafeInteger(value)) {
    throw new Error('ERR value is not an integer or out of range');
  }
  return value;
}

/**
 * Validates `increment(key, by, ttlMs)` before any I/O, identically on every backend: `by` must be
 * a safe integer (INCRBY takes no fractions) and `ttlMs` a finite number (≤ 0: no expiry).
 *
 * @internal
 */
export function checkIncrementArgs(by: number, ttlMs: number): void {
  if (!Number.isSafeInteger(by)) throw new TypeError(`increment: "by" must be a safe integer, got ${String(by)}`);
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs)) {
    throw new TypeError(`increment: "ttlMs" must be a finite number, got ${String(ttlMs)}`);
  }
}

/**
 * Atomic INCRBY that sets the ttl when the key has none (just created, or written without
 * expiry): a counter can never become immortal. Replies `[value, pttl]` (pttl -1: no expiry).
 * ARGV: by (integer), ttl ms (integer; ≤ 0: none).
 *
 * @internal
 */
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
    const value = (cur === null ? 0 : redisInteger(cur)) + redisInteger(by);
    if (!Number.isSafeInteger(value)) throw new Error('ERR increment or decrement would overflow');
    const left = ops.pttl(key);
    const ttlMs = Number(ttl);
    // Keep a remaining ttl; give one to a key without (new, or written with no expiry).
    ops.set(key, String(value), left > 0 ? left : ttlMs > 0 ? ttlMs : undefined);
    return [value, ops.pttl(key)];
  },
};
