import { createTestRedisStorage, REDIS_TARGETS } from '../../test/utils/redis';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { SecurityStorage } from '../storage/security-storage.interface';
import { RELEASE_LOGIN_ATTEMPT, RESERVE_LOGIN_ATTEMPT } from './login-attempt.script';
import { loginKeys, trackedAddress, usernameKeys } from './login-keys.util';
import {
  CLEAR_USERNAME,
  RELEASE_USERNAME_ATTEMPT,
  RESERVE_USERNAME_ATTEMPT,
  SUCCEED_USERNAME_ATTEMPT,
  USERNAME_STATUS,
} from './login-protection.script';

const kinds = ['memory', ...REDIS_TARGETS.map((target) => `redis ${target}` as const)] as const;

/** ip + username: 3 per 60 s; username: 5 per 120 s; the IP set lives 120 s and tracks 4 addresses. */
const ARGS = ['3', '60000', '5', '120000', '120000', '4'];

describe.each(kinds)('login protection scripts on the %s store', (kind) => {
  let storage: SecurityStorage;
  let n = 0;
  let user: string;

  beforeAll(async () => {
    storage =
      kind === 'memory'
        ? new MemorySecurityStorage()
        : await createTestRedisStorage('login-scripts', 1_000, kind === 'redis cluster' ? 'cluster' : 'standalone');
  });
  afterAll(() => storage.close());
  beforeEach(() => {
    user = `user-${++n}`;
  });

  const reserve = (ip: string, args = ARGS) => {
    const k = loginKeys(ip, user);
    return storage.run(RESERVE_USERNAME_ATTEMPT, [k.ipUser, k.user, k.ips], [k.ipDigest, ...args]);
  };
  const status = () => {
    const k = usernameKeys(user);
    return storage.run(USERNAME_STATUS, [k.user, k.ips], ['3']);
  };

  it('refuses one IP on one username at the IP + username limit (scope 1), with the ms left', async () => {
    for (let i = 0; i < 3; i++) expect(await reserve('192.0.2.1')).toEqual([1, 0, 0]);
    const [admitted, scope, pttl] = await reserve('192.0.2.1');
    expect([admitted, scope]).toEqual([0, 1]);
    expect(pttl).toBeGreaterThan(50_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    // A refusal counts nowhere: the username has 3 failures, not 4.
    expect(await status()).toEqual([3, expect.any(Number), 1, 1]);
  });

  it('refuses the username from any IP at the per-username limit (scope 2)', async () => {
    for (let i = 0; i < 5; i++) expect(await reserve(`198.51.100.${i}`)).toEqual([1, 0, 0]);
    const [admitted, scope, pttl] = await reserve('198.51.100.200');
    expect([admitted, scope]).toEqual([0, 2]);
    expect(pttl).toBeGreaterThan(60_000);
    // Five addresses failed once each; the set tracks at most 4 of them.
    expect(await status()).toEqual([5, expect.any(Number), 4, 0]);
  });

  it('reports the counter that blocks longer when both refuse', async () => {
    for (let i = 0; i < 3; i++) await reserve('192.0.2.9');
    for (let i = 0; i < 2; i++) await reserve(`203.0.113.${i}`);
    expect((await reserve('192.0.2.9')).slice(0, 2)).toEqual([0, 2]);
  });

  it('counts nothing per username when that counter is off (maxUser 0)', async () => {
    const off = ['3', '60000', '0', '0', '60000', '4'];
    for (let i = 0; i < 8; i++) expect(await reserve(`203.0.113.${i}`, off)).toEqual([1, 0, 0]);
    expect((await status())[0]).toBe(0);
  });

  it('gives back a reservation, and a success forgets the username from every IP', async () => {
    const k = loginKeys('192.0.2.2', user);
    await reserve('192.0.2.2');
    await reserve('192.0.2.3');
    await storage.run(RELEASE_USERNAME_ATTEMPT, [k.ipUser, k.user], ['1']);
    expect(await status()).toEqual([1, expect.any(Number), 1, 0]);
    expect(await storage.run(SUCCEED_USERNAME_ATTEMPT, [k.ipUser, k.user, k.ips], [k.ipDigest])).toBe(1);
    expect(await status()).toEqual([0, -2, 1, 0]); // 192.0.2.3's own counter stays
  });

  it('clears a username: its any-IP counter and every IP + username counter it tracks', async () => {
    for (let i = 0; i < 3; i++) await reserve('192.0.2.4');
    await reserve('192.0.2.5');
    expect((await reserve('192.0.2.4'))[0]).toBe(0);
    const k = usernameKeys(user);
    expect(await storage.run(CLEAR_USERNAME, [k.user, k.ips], [])).toBe(3);
    expect(await status()).toEqual([0, -2, 0, 0]);
    expect(await reserve('192.0.2.4')).toEqual([1, 0, 0]);
    expect(await storage.run(CLEAR_USERNAME, [k.user, k.ips], [])).toBe(2);
    expect(await storage.run(CLEAR_USERNAME, [k.user, k.ips], [])).toBe(0);
  });

  it('keys usernames trimmed and case-insensitive, and IPv6 clients by their prefix', () => {
    expect(loginKeys('192.0.2.1', ' Alice ')).toEqual(loginKeys('192.0.2.1', 'alice'));
    expect(trackedAddress('2001:db8:1:2:aaaa::1', 4)).toBe(trackedAddress('2001:db8:1:2:bbbb::2', 4));
    const k = loginKeys('192.0.2.1', 'alice');
    // The username's keys share one hash tag (one Cluster slot); the IP's key has its own.
    const tag = (key: string) => key.slice(0, key.indexOf('}') + 1);
    expect(new Set([tag(k.ipUser), tag(k.user), tag(k.ips)]).size).toBe(1);
    expect(tag(k.ip)).not.toBe(tag(k.user));
    expect(JSON.stringify(k)).not.toMatch(/alice|192\.0\.2\.1/);
  });

  it('the per-IP counter reserves and releases across usernames', async () => {
    const key = loginKeys(`198.18.0.${n}`, user).ip;
    expect(await storage.run(RESERVE_LOGIN_ATTEMPT, [key], ['2', '60000'])).toEqual([1, 1, expect.any(Number)]);
    expect(await storage.run(RESERVE_LOGIN_ATTEMPT, [key], ['2', '60000'])).toEqual([1, 2, expect.any(Number)]);
    expect((await storage.run(RESERVE_LOGIN_ATTEMPT, [key], ['2', '60000']))[0]).toBe(0);
    expect(await storage.run(RELEASE_LOGIN_ATTEMPT, [key], [])).toBe(1);
    expect((await storage.run(RESERVE_LOGIN_ATTEMPT, [key], ['2', '60000']))[0]).toBe(1);
  });
});
