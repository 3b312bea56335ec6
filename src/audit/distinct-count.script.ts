import type { StorageScript } from '../storage/security-storage.interface';

/**
 * Adds a member to a set that lives for a window from its first member, capped at `threshold`
 * members (a sprayer cannot grow it without bound). Replies `[count, crossed]`: `crossed` is 1
 * for the one addition that brought the count to `threshold`, so the signal fires once per window.
 * ARGV: member, threshold, windowMs.
 *
 * @internal
 */
export const ADD_DISTINCT: StorageScript<number[]> = {
  name: 'add-distinct',
  lua: `
local n = redis.call('SCARD', KEYS[1])
if n >= tonumber(ARGV[2]) then return { n, 0 } end
local added = redis.call('SADD', KEYS[1], ARGV[1])
if added == 1 and n == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
n = n + added
if added == 1 and n == tonumber(ARGV[2]) then return { n, 1 } end
return { n, 0 }`,
  memory(ops, [key], [member, threshold, windowMs]) {
    const current = ops.get(key);
    const members = current === null ? [] : current.split('\n');
    const max = Number(threshold);
    if (members.length >= max) return [members.length, 0];
    if (members.includes(member)) return [members.length, 0];
    members.push(member);
    const ttl = current === null ? Number(windowMs) : Math.max(1, ops.pttl(key));
    ops.set(key, members.join('\n'), ttl);
    return [members.length, members.length === max ? 1 : 0];
  },
};
