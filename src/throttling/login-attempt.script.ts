import type { StorageScript } from '../storage/security-storage.interface';

/**
 * Reserves one login attempt: refused (`[0, count, pttl]`) when `maxAttempts` are already
 * recorded in the window, else counted (`[1, count, pttl]`). The count is reserved BEFORE the
 * handler runs, so concurrent guesses cannot all slip through; a success deletes the key and a
 * server error releases the reservation. ARGV: maxAttempts, windowMs.
 *
 * @internal
 */
export const RESERVE_LOGIN_ATTEMPT: StorageScript<number[]> = {
  name: 'reserve-login-attempt',
  lua: `
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if c >= tonumber(ARGV[1]) then return { 0, c, redis.call('PTTL', KEYS[1]) } end
c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return { 1, c, redis.call('PTTL', KEYS[1]) }`,
  memory(ops, [key], [max, windowMs]) {
    const cur = ops.get(key);
    const c = cur === null ? 0 : Number(cur);
    if (c >= Number(max)) return [0, c, ops.pttl(key)];
    if (cur === null) ops.set(key, '1', Number(windowMs));
    else ops.set(key, String(c + 1), Math.max(1, ops.pttl(key)));
    return [1, c + 1, ops.pttl(key)];
  },
};

/** Gives back a reserved attempt (the handler failed for a reason that is not the caller's). @internal */
export const RELEASE_LOGIN_ATTEMPT: StorageScript<number> = {
  name: 'release-login-attempt',
  lua: `
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if c <= 0 then return 0 end
if c == 1 then redis.call('DEL', KEYS[1]) return 0 end
return redis.call('DECR', KEYS[1])`,
  memory(ops, [key]) {
    const cur = ops.get(key);
    const c = cur === null ? 0 : Number(cur);
    if (c <= 0) return 0;
    if (c === 1) {
      ops.delete(key);
      return 0;
    }
    ops.set(key, String(c - 1), Math.max(1, ops.pttl(key)));
    return c - 1;
  },
};

/** Forgets the attempts (successful login). @internal */
export const RESET_LOGIN_ATTEMPTS: StorageScript<number> = {
  name: 'reset-login-attempts',
  lua: `return redis.call('DEL', KEYS[1])`,
  memory(ops, [key]) {
    return ops.delete(key) ? 1 : 0;
  },
};
