import type { MemoryScriptOps, StorageScript } from '../storage/security-storage.interface';

/*
 * The per-username state of the login limiter lives under one hash tag, `{login:<username digest>}`
 * (see login-keys.util.ts), so these scripts touch one Redis Cluster slot:
 *   KEYS[1] `{login:u}:ip:<ip digest>`  failures of one IP on this username
 *   KEYS[2] `{login:u}:any`             failures on this username from any IP
 *   KEYS[3] `{login:u}:ips`             the IP digests with a KEYS[1] counter (what reset() clears)
 * The per-IP counter (`{login-ip:<ip digest>}`) has a tag of its own and runs RESERVE_LOGIN_ATTEMPT.
 */

/** Most IP digests one username's set remembers (reset() clears those; the rest expire). */
export const MAX_TRACKED_IPS = 1000;

/**
 * Reserves one attempt on the IP + username and username counters, or refuses when either is
 * already at its limit: `[1, 0, 0]` counted, `[0, scope, pttl]` refused, `scope` 1 for IP +
 * username and 2 for username (the one that blocks longer when both do). ARGV: ip digest,
 * maxIpUser, windowIpUserMs, maxUser (0: per-username off), windowUserMs, setTtlMs, maxTracked.
 *
 * @internal
 */
export const RESERVE_USERNAME_ATTEMPT: StorageScript<number[]> = {
  name: 'reserve-username-attempt',
  lua: `
local perUser = tonumber(ARGV[4]) > 0
local scope, wait = 0, 0
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[2]) then
  scope = 1
  wait = redis.call('PTTL', KEYS[1])
end
if perUser and tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[4]) then
  local p = redis.call('PTTL', KEYS[2])
  if scope == 0 or p > wait then scope = 2 wait = p end
end
if scope > 0 then return { 0, scope, wait } end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if perUser and redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
if redis.call('SCARD', KEYS[3]) < tonumber(ARGV[7]) then redis.call('SADD', KEYS[3], ARGV[1]) end
redis.call('PEXPIRE', KEYS[3], ARGV[6])
return { 1, 0, 0 }`,
  memory(ops, [ipUser, user, ips], [member, maxIpUser, windowIpUser, maxUser, windowUser, setTtl, maxTracked]) {
    const perUser = Number(maxUser) > 0;
    let scope = 0;
    let wait = 0;
    if (count(ops, ipUser) >= Number(maxIpUser)) {
      scope = 1;
      wait = ops.pttl(ipUser);
    }
    if (perUser && count(ops, user) >= Number(maxUser)) {
      const p = ops.pttl(user);
      if (scope === 0 || p > wait) {
        scope = 2;
        wait = p;
      }
    }
    if (scope > 0) return [0, scope, wait];
    increment(ops, ipUser, Number(windowIpUser));
    if (perUser) increment(ops, user, Number(windowUser));
    const members = membersOf(ops, ips);
    if (members.length < Number(maxTracked) && !members.includes(member)) members.push(member);
    ops.set(ips, members.join('\n'), Number(setTtl));
    return [1, 0, 0];
  },
};

/**
 * Gives back a reserved attempt (a server error, or another limit refused it). ARGV: 1 when the
 * username counter was counted too.
 *
 * @internal
 */
export const RELEASE_USERNAME_ATTEMPT: StorageScript<number> = {
  name: 'release-username-attempt',
  lua: `
local function release(key)
  local c = tonumber(redis.call('GET', key) or '0')
  if c <= 1 then redis.call('DEL', key) else redis.call('DECR', key) end
end
release(KEYS[1])
if ARGV[1] == '1' then release(KEYS[2]) end
return 1`,
  memory(ops, [ipUser, user], [perUser]) {
    decrement(ops, ipUser);
    if (perUser === '1') decrement(ops, user);
    return 1;
  },
};

/**
 * A successful login: forgets this IP's and every IP's failures on the username (the account's
 * owner proved the password). ARGV: ip digest.
 *
 * @internal
 */
export const SUCCEED_USERNAME_ATTEMPT: StorageScript<number> = {
  name: 'succeed-username-attempt',
  lua: `
redis.call('SREM', KEYS[3], ARGV[1])
return redis.call('DEL', KEYS[1], KEYS[2])`,
  memory(ops, [ipUser, user, ips], [member]) {
    const members = membersOf(ops, ips);
    const at = members.indexOf(member);
    if (at !== -1) {
      members.splice(at, 1);
      if (members.length === 0) ops.delete(ips);
      else ops.set(ips, members.join('\n'), Math.max(1, ops.pttl(ips)));
    }
    return (ops.delete(ipUser) ? 1 : 0) + (ops.delete(user) ? 1 : 0);
  },
};

/**
 * Clears a username: its any-IP counter, every IP + username counter its set lists, and the set.
 * Replies the number of counters removed. KEYS: `{login:u}:any`, `{login:u}:ips`; the IP +
 * username keys are derived from the set's name (same tag, so the same Cluster slot).
 *
 * @internal
 */
export const CLEAR_USERNAME: StorageScript<number> = {
  name: 'clear-username',
  lua: `
local base = string.sub(KEYS[2], 1, -4) .. 'ip:'
local removed = redis.call('DEL', KEYS[1])
for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  removed = removed + redis.call('DEL', base .. member)
end
redis.call('DEL', KEYS[2])
return removed`,
  memory(ops, [user, ips]) {
    const base = `${ips.slice(0, -3)}ip:`;
    let removed = ops.delete(user) ? 1 : 0;
    for (const member of membersOf(ops, ips)) if (ops.delete(base + member)) removed++;
    ops.delete(ips);
    return removed;
  },
};

/**
 * A username's state: `[failures, pttl, trackedIps, lockedIps]` (failures from any IP and the ms
 * left in their window, `-2` when none; IP + username counters alive, and those at `ARGV[1]`).
 * KEYS as {@link CLEAR_USERNAME}.
 *
 * @internal
 */
export const USERNAME_STATUS: StorageScript<number[]> = {
  name: 'username-status',
  lua: `
local base = string.sub(KEYS[2], 1, -4) .. 'ip:'
local tracked, locked = 0, 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local c = redis.call('GET', base .. member)
  if c then
    tracked = tracked + 1
    if tonumber(c) >= tonumber(ARGV[1]) then locked = locked + 1 end
  end
end
return { tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), tracked, locked }`,
  memory(ops, [user, ips], [maxIpUser]) {
    const base = `${ips.slice(0, -3)}ip:`;
    let tracked = 0;
    let locked = 0;
    for (const member of membersOf(ops, ips)) {
      const c = ops.get(base + member);
      if (c === null) continue;
      tracked++;
      if (Number(c) >= Number(maxIpUser)) locked++;
    }
    return [count(ops, user), ops.pttl(user), tracked, locked];
  },
};

function count(ops: MemoryScriptOps, key: string): number {
  const value = ops.get(key);
  return value === null ? 0 : Number(value);
}

/** INCR + PEXPIRE on creation, as the Lua does. */
function increment(ops: MemoryScriptOps, key: string, windowMs: number): void {
  const value = ops.get(key);
  if (value === null) ops.set(key, '1', windowMs);
  else ops.set(key, String(Number(value) + 1), Math.max(1, ops.pttl(key)));
}

function decrement(ops: MemoryScriptOps, key: string): void {
  const c = count(ops, key);
  if (c <= 1) ops.delete(key);
  else ops.set(key, String(c - 1), Math.max(1, ops.pttl(key)));
}

/** The members of a set kept as a newline-separated string (digests are base64url). */
function membersOf(ops: MemoryScriptOps, key: string): string[] {
  const value = ops.get(key);
  return value === null || value === '' ? [] : value.split('\n');
}
