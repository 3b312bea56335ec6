import {
  type CallHandler,
  type HttpException,
  InternalServerErrorException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { lastValueFrom, of, throwError } from 'rxjs';
import { createTestRedisStorage } from '../../test/utils/redis';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import type { SecurityEvent } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import { resolveSecurityOptions } from '../security.options';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { SecurityStorage } from '../storage/security-storage.interface';
import { LoginProtection } from './login-protection.service';
import { LoginRateLimitInterceptor } from './login-rate-limit.interceptor';
import { LoginRateLimit } from './rate-limit.decorator';
import { RateLimiterService } from './rate-limiter.service';

class AuthController {
  @LoginRateLimit()
  login(): void {}
}

type Outcome = 'success' | 'wrong-password' | 'server-error';

const storages: Array<[string, () => Promise<SecurityStorage>]> = [
  ['memory', async () => new MemorySecurityStorage()],
  ['redis', () => createTestRedisStorage('login-protection')],
];

/** IP + username 3, username (any IP) 5, IP (any username) 4; 198.18.255.1 is allowlisted. */
const LOGIN = { maxAttempts: 3, perUsername: { maxAttempts: 5 }, perIp: { maxAttempts: 4, windowSeconds: 60 } };

describe.each(storages)('login protection across IPs and usernames (%s)', (_name, createStorage) => {
  let storage: SecurityStorage;
  let interceptor: LoginRateLimitInterceptor;
  let protection: LoginProtection;
  const events: SecurityEvent[] = [];
  let n = 0;
  let user: string;
  let net: string;

  beforeAll(async () => {
    storage = await createStorage();
    const options = resolveSecurityOptions({
      events: { logger: false, sinks: [(e) => events.push(e)] },
      rateLimit: { login: LOGIN, allowlist: ['198.18.255.1'] },
    });
    const securityEvents = new SecurityEvents(options);
    const limiter = new RateLimiterService(storage, options, securityEvents);
    interceptor = new LoginRateLimitInterceptor(
      options,
      limiter,
      securityEvents,
      new Reflector(),
      new RoutePlanCache(),
    );
    protection = new LoginProtection(options, limiter);
  });
  afterAll(() => storage.close());
  beforeEach(() => {
    n++;
    user = `User-${n}@example.com`;
    net = `10.${n}.0`;
    events.splice(0);
  });

  /** One attempt; resolves to the status the client would get (and the Retry-After of a 429). */
  async function attempt(ip: string, username: string, outcome: Outcome = 'wrong-password') {
    const headers: Record<string, string | number> = {};
    const req = { headers: {}, method: 'POST', url: '/login', body: { username }, socket: { remoteAddress: ip } };
    const res = { setHeader: (name: string, value: string | number) => (headers[name] = value) };
    const ctx = new ExecutionContextHost([req, res], AuthController, AuthController.prototype.login);
    const next: CallHandler = {
      handle: () =>
        outcome === 'success'
          ? of({ ok: true })
          : throwError(() =>
              outcome === 'server-error' ? new InternalServerErrorException() : new UnauthorizedException(),
            ),
    };
    try {
      await lastValueFrom(await interceptor.intercept(ctx, next));
      await new Promise((r) => setTimeout(r, 5)); // settling is fire-and-forget
      return { status: 200, retryAfter: undefined };
    } catch (error) {
      await new Promise((r) => setTimeout(r, 5));
      return { status: (error as HttpException).getStatus(), retryAfter: headers['Retry-After'] };
    }
  }
  const status = async (ip: string, username: string, outcome?: Outcome) =>
    (await attempt(ip, username, outcome)).status;
  const refusals = () => events.filter((e) => e.type === 'RATE_LIMITED');

  it('many IPs on one username: refused from every IP past perUsername, with Retry-After', async () => {
    for (let i = 1; i <= 5; i++) expect(await status(`${net}.${i}`, user)).toBe(401);
    const locked = await attempt(`${net}.99`, user, 'success');
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBeGreaterThan(3500); // perUsername's window: 1 h
    expect(await status(`${net}.1`, `other-${n}`)).toBe(401); // other usernames are not locked
    expect(refusals()).toEqual([
      expect.objectContaining({
        reason: 'login_attempts_exhausted',
        details: expect.objectContaining({ tracker: 'username', policies: ['login.username'], maxAttempts: 5 }),
      }),
    ]);
    expect(refusals()[0].details?.usernameHash).toMatch(/^[\w-]{32}$/);
    expect(JSON.stringify(events)).not.toContain(user.toLowerCase());
  });

  it('one IP over many usernames: refused past perIp, whatever the username; other IPs are not', async () => {
    const ip = `${net}.1`;
    for (let i = 0; i < 4; i++) expect(await status(ip, `spray-${n}-${i}`)).toBe(401);
    const refused = await attempt(ip, `spray-${n}-new`);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(refusals()).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ tracker: 'ip', policies: ['login.ip'] }) }),
    ]);
    expect(refusals()[0].details?.usernameHash).toBeUndefined();
    expect(await status(`${net}.2`, `spray-${n}-new`)).toBe(401);
    // The refused attempt reserved nothing on the username: it has one failure (from .2), not two.
    expect((await protection.status(`spray-${n}-new`)).failures).toBe(1);
  });

  it('the IP + username counter still trips first for one IP on one username', async () => {
    for (let i = 0; i < 3; i++) expect(await status(`${net}.1`, user)).toBe(401);
    expect(await status(`${net}.1`, user, 'success')).toBe(429);
    expect(refusals()[0].details).toMatchObject({ tracker: 'ip+username', policies: ['login'] });
    expect(await status(`${net}.2`, user, 'success')).toBe(200);
  });

  it('a success gives back its IP attempt (logins from a shared IP never add up) and clears the username', async () => {
    const ip = `${net}.1`;
    for (let i = 0; i < 6; i++) expect(await status(ip, `ok-${n}-${i}`, 'success')).toBe(200);
    for (let i = 0; i < 2; i++) expect(await status(`${net}.${i + 2}`, user)).toBe(401);
    expect(await status(ip, user, 'success')).toBe(200);
    expect(await protection.status(user)).toMatchObject({ failures: 0, trackedIps: 2 });
  });

  it('server errors are given back on every counter', async () => {
    for (let i = 0; i < 8; i++) expect(await status(`${net}.1`, user, 'server-error')).toBe(500);
    expect(await protection.status(user)).toMatchObject({ failures: 0, trackedIps: 0, lockedIps: 0 });
    for (let i = 0; i < 3; i++) expect(await status(`${net}.1`, user)).toBe(401);
  });

  it('attempts without a username count per IP but lock no one per username', async () => {
    for (let i = 0; i < 8; i++) expect(await status(`${net}.${i}`, '  ')).toBe(401);
    expect(await status(`${net}.100`, '')).toBe(401);
  });

  it('an allowlisted IP is not counted per IP (it still is per IP + username and per username)', async () => {
    for (let i = 0; i < 6; i++) expect(await status('198.18.255.1', `${user}-${i}`)).toBe(401);
    for (let i = 0; i < 3; i++) expect(await status('198.18.255.1', user)).toBe(401);
    expect(await status('198.18.255.1', user)).toBe(429);
  });

  it('LoginProtection.status and reset: the username unlocks from every IP it was locked on', async () => {
    for (let i = 0; i < 3; i++) expect(await status(`${net}.1`, user)).toBe(401);
    for (let i = 0; i < 2; i++) expect(await status(`${net}.2`, user)).toBe(401);
    expect(await status(`${net}.3`, user)).toBe(429);
    const before = await protection.status(` ${user.toUpperCase()} `);
    expect(before).toMatchObject({ failures: 5, maxAttempts: 5, locked: true, trackedIps: 2, lockedIps: 1 });
    expect(before.resetsInSeconds).toBeGreaterThan(3500);
    expect(await protection.reset(user)).toEqual({ cleared: 3 });
    expect(await protection.status(user)).toEqual({
      failures: 0,
      maxAttempts: 5,
      locked: false,
      resetsInSeconds: 0,
      trackedIps: 0,
      lockedIps: 0,
    });
    expect(await status(`${net}.1`, user, 'success')).toBe(200);
  });

  it('LoginProtection.resetIp unlocks an address locked across usernames', async () => {
    for (let i = 0; i < 4; i++) expect(await status(`${net}.1`, `spray-${n}-${i}`)).toBe(401);
    expect(await status(`${net}.1`, `spray-${n}-x`)).toBe(429);
    expect(await protection.resetIp(`${net}.1`)).toBe(true);
    expect(await protection.resetIp(`${net}.1`)).toBe(false);
    expect(await status(`${net}.1`, `spray-${n}-x`)).toBe(401);
  });

  it.each([
    ['an empty username', () => protection.reset('  ')],
    ['an over-long username', () => protection.status('x'.repeat(257))],
    ['a username that is not a string', () => protection.reset(42 as unknown as string)],
    ['an address that is not an IP', () => protection.resetIp('10.0.0.300')],
  ])('refuses %s with 400 VALIDATION_FAILED', async (_name, call) => {
    await expect(call()).rejects.toMatchObject({ status: 400, response: { code: 'VALIDATION_FAILED' } });
  });
});
