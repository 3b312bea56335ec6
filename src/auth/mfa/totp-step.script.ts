import type { StorageScript } from '../../storage/security-storage.interface';

/**
 * Records the time step of an accepted TOTP code, unless that step or a later one was accepted
 * already: 1 when recorded, 0 for a replay. Atomic (one Lua script on Redis), so two instances
 * given the same code at the same moment accept it once. ARGV: step, ttl ms.
 *
 * @internal
 */
export const ACCEPT_TOTP_STEP: StorageScript<number> = {
  name: 'accept-totp-step',
  lua: `
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  memory(ops, [key], [step, ttl]) {
    const last = Number(ops.get(key) ?? '-1');
    if (Number(step) <= last) return 0;
    ops.set(key, step, Number(ttl));
    return 1;
  },
};
