import nodeCrypto from 'node:crypto';
import { type INestApplication, Module } from '@nestjs/common';
import { LoginProtection, SecurityModule, type SecurityEvent, type SecurityModuleOptions } from 'nestjs-rampart';
import { sampleSecurityOptions } from '../../sample-app/src/app.module';
import { LoginProtectionController } from '../../sample-app/src/admin/login-protection.controller';
import { AuthController } from '../../sample-app/src/auth/auth.controller';
import { sampleRateLimitOptions } from '../../sample-app/src/rate-limit/rate-limit.options';
import { UsersService } from '../../sample-app/src/users/users.service';
import { sampleStepUp } from '../fixtures/sample-login';
import { ADAPTERS, bootApp } from '../utils/app';
import { redisUrl, uniquePrefix } from '../utils/redis';

/**
 * The sample's login and admin unlock with small login limits: 3 failures per IP + username,
 * 5 per username from any IP, 4 per IP across usernames (on memory and on the run's Redis).
 */
function sampleWithSmallLoginLimits(storage: 'memory' | 'redis', events: SecurityEvent[]) {
  const base = sampleSecurityOptions();
  const options: SecurityModuleOptions = {
    ...base,
    storage:
      storage === 'memory'
        ? { type: 'memory' }
        : // A generous deadline: a loaded machine must not turn a slow reply into the insurance limiter.
          { type: 'redis', url: redisUrl(), keyPrefix: uniquePrefix('login-protection'), commandTimeoutMs: 1_000 },
    events: { logger: false, sinks: [(e) => events.push(e)] },
    rateLimit: {
      ...sampleRateLimitOptions({}),
      login: { maxAttempts: 3, perUsername: { maxAttempts: 5 }, perIp: { maxAttempts: 4 } },
    },
  };
  @Module({
    imports: [SecurityModule.forRoot(options)],
    controllers: [AuthController, LoginProtectionController],
    providers: [UsersService],
  })
  class SampleLoginProtection {}
  return SampleLoginProtection;
}

const CASES = ADAPTERS.flatMap((adapter) => [[adapter, 'memory'] as const, [adapter, 'redis'] as const]);

describe.each(CASES)('login protection across IPs and usernames (%s, %s store)', (adapter, storage) => {
  let app: INestApplication;
  let url: string;
  const events: SecurityEvent[] = [];
  let n = 0;
  /** The sample trusts loopback proxies: X-Forwarded-For is the client. One /24 per test. */
  let net: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, sampleWithSmallLoginLimits(storage, events)));
  });
  afterAll(() => app.close());
  // The sample's accounts are shared by the tests: each starts with them unlocked.
  afterEach(async () => {
    for (const username of ['alice', 'bob', 'carol', 'admin']) await app.get(LoginProtection).reset(username);
  });
  beforeEach(() => {
    net = `198.18.${(adapter === 'express' ? 0 : 100) + (storage === 'memory' ? 0 : 50) + ++n}`;
    events.splice(0);
  });

  const login = (ip: string, username: string, password: string) =>
    fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ip },
      body: JSON.stringify({ username, password }),
    });
  /** The error body without its per-request id. */
  const bodyOf = async (res: Response) => {
    const { requestId: _requestId, ...rest } = (await res.json()) as Record<string, unknown>;
    return rest;
  };
  const adminToken = async () => {
    const res = await login(`${net}.250`, 'admin', 'admin-pass');
    expect(res.status).toBe(200);
    // Admin routes need a TOTP step-up (the sample seeds the admin's secret).
    return sampleStepUp(url, ((await res.json()) as { accessToken: string }).accessToken, 'admin');
  };

  it('many IPs on one username: locked from every IP past 5 failures, even with the right password', async () => {
    for (let i = 1; i <= 5; i++) expect((await login(`${net}.${i}`, 'carol', 'wrong')).status).toBe(401);
    const locked = await login(`${net}.99`, 'carol', 'carol-pass');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect(await bodyOf(locked)).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Too many requests, please retry later',
      code: 'RATE_LIMITED',
      retryAfter: expect.any(Number),
    });
    expect(events.filter((e) => e.type === 'RATE_LIMITED')).toEqual([
      expect.objectContaining({
        reason: 'login_attempts_exhausted',
        details: expect.objectContaining({ tracker: 'username', usernameHash: expect.any(String) }),
      }),
    ]);
    // The password and the username never reach an event.
    expect(JSON.stringify(events)).not.toMatch(/carol|wrong/);
    // Another account from one of those IPs is not locked.
    expect((await login(`${net}.1`, 'bob', 'bob-pass')).status).toBe(200);
  });

  it('one IP over many usernames: refused past 4 failures whatever the username; other IPs are not', async () => {
    const ip = `${net}.1`;
    for (const username of ['alice', 'bob', `nobody-${n}`, `nobody-${n}-2`]) {
      expect((await login(ip, username, 'Summer2026!')).status).toBe(401);
    }
    const sprayed = await login(ip, 'admin', 'Summer2026!');
    expect(sprayed.status).toBe(429);
    expect(Number(sprayed.headers.get('retry-after'))).toBeLessThanOrEqual(900);
    expect(events.filter((e) => e.type === 'RATE_LIMITED')).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ tracker: 'ip', policies: ['login.ip'] }) }),
    ]);
    expect((await login(`${net}.2`, 'alice', 'alice-pass')).status).toBe(200);
  });

  it('an unknown username is indistinguishable from a known one: same status, body and lockout', async () => {
    const known = await login(`${net}.1`, 'alice', 'wrong');
    const unknown = await login(`${net}.1`, 'no-such-user', 'wrong');
    expect([known.status, unknown.status]).toEqual([401, 401]);
    expect(await bodyOf(unknown)).toEqual(await bodyOf(known));
    // Locked the same way from many IPs: the per-username counter counts names it cannot know.
    const lock = async (username: string) => {
      for (let i = 2; i <= 6; i++) await login(`${net}.${i * 10}`, username, 'wrong');
      return login(`${net}.200`, username, 'wrong');
    };
    const [knownLocked, unknownLocked] = [await lock('bob'), await lock('ghost')];
    expect([knownLocked.status, unknownLocked.status]).toEqual([429, 429]);
    // retryAfter counts down from each username's first failure: equal up to the seconds between them.
    const { retryAfter: knownWait, ...knownBody } = await bodyOf(knownLocked);
    const { retryAfter: unknownWait, ...unknownBody } = await bodyOf(unknownLocked);
    expect(unknownBody).toEqual(knownBody);
    expect([knownWait, unknownWait]).toEqual([expect.any(Number), expect.any(Number)]);
    expect(Math.abs(Number(knownWait) - Number(unknownWait))).toBeLessThan(60);
  });

  it('the sample does the same work for an unknown username: one scrypt over a hash of the same shape', async () => {
    const scrypt = jest.spyOn(nodeCrypto, 'scryptSync');
    try {
      await login(`${net}.1`, 'alice', 'wrong');
      await login(`${net}.1`, 'no-such-user', 'wrong');
      expect(scrypt).toHaveBeenCalledTimes(2);
      const [[, knownSalt, knownLength], [, dummySalt, dummyLength]] = scrypt.mock.calls;
      expect([(dummySalt as Buffer).length, dummyLength]).toEqual([(knownSalt as Buffer).length, knownLength]);
      expect((dummySalt as Buffer).equals(knownSalt as Buffer)).toBe(false);
    } finally {
      scrypt.mockRestore();
    }
  });

  it('an admin unlocks a username with LoginProtection (POST /admin/login-protection/:username/reset)', async () => {
    for (let i = 1; i <= 5; i++) await login(`${net}.${i}`, 'carol', 'wrong');
    expect((await login(`${net}.1`, 'carol', 'carol-pass')).status).toBe(429);
    const token = await adminToken();
    const admin = (method: string, path: string, bearer = token) =>
      fetch(`${url}/admin/login-protection/${path}`, {
        method,
        headers: { Authorization: `Bearer ${bearer}`, 'X-Forwarded-For': `${net}.250` },
      });

    const status = await admin('GET', 'carol');
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ failures: 5, maxAttempts: 5, locked: true, trackedIps: 5 });
    const reset = await admin('POST', 'Carol/reset');
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({ cleared: 6 }); // the username's counter and 5 IP + username ones
    expect((await login(`${net}.1`, 'carol', 'carol-pass')).status).toBe(200);
    expect(events.filter((e) => e.type === 'AUDIT').map((e) => e.details?.action)).toEqual([
      'admin.login_protection.read',
      'admin.login_protection.reset',
    ]);

    // Admins only; a username the service cannot hold (blank) is a stable 400.
    const carol = ((await (await login(`${net}.3`, 'carol', 'carol-pass')).json()) as { accessToken: string })
      .accessToken;
    expect((await admin('POST', 'alice/reset', carol)).status).toBe(403);
    const blank = await admin('POST', '%20%20/reset');
    expect(blank.status).toBe(400);
    expect(await blank.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
