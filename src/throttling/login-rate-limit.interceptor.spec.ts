import {
  type CallHandler,
  type ExecutionContext,
  type HttpException,
  InternalServerErrorException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { isObservable, lastValueFrom, mergeMap, of, throwError, timer } from 'rxjs';
import { createTestRedisStorage } from '../../test/utils/redis';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import { SecurityEvents } from '../core/events/security-events.service';
import { resolveSecurityOptions } from '../security.options';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { SecurityStorage } from '../storage/security-storage.interface';
import { LoginRateLimitInterceptor } from './login-rate-limit.interceptor';
import { LoginRateLimit } from './rate-limit.decorator';
import { RateLimiterService } from './rate-limiter.service';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';

class AuthController {
  @LoginRateLimit({ maxAttempts: 3, usernameField: 'email' })
  login(): void {}

  other(): void {}
}

type Outcome = 'success' | 'wrong-password' | 'server-error';

function context(handler: () => void, ip: string, email: string) {
  const headers: Record<string, string | number> = {};
  const req = { headers: {}, method: 'POST', url: '/login', body: { email }, socket: { remoteAddress: ip } };
  const res = { setHeader: (name: string, value: string | number) => (headers[name] = value) };
  const ctx: ExecutionContext = new ExecutionContextHost(
    [req, res],
    AuthController,
    handler as (...args: unknown[]) => unknown,
  );
  return { ctx, headers };
}

const storages: Array<[string, () => Promise<SecurityStorage>]> = [
  ['memory', async () => new MemorySecurityStorage()],
  ['redis', () => createTestRedisStorage('login-limiter')],
];

describe.each(storages)('LoginRateLimitInterceptor (%s)', (_name, createStorage) => {
  let storage: SecurityStorage;
  let interceptor: LoginRateLimitInterceptor;
  let handled = 0;
  let n = 0;
  let ip: string;

  beforeAll(async () => {
    storage = await createStorage();
    const options = resolveSecurityOptions({ events: { logger: false } });
    const events = new SecurityEvents(options);
    interceptor = new LoginRateLimitInterceptor(
      options,
      new RateLimiterService(storage, options, events),
      events,
      new Reflector(),
      new RoutePlanCache(),
    );
  });
  afterAll(() => storage.close());
  beforeEach(() => {
    handled = 0;
    ip = `192.0.2.${++n}`;
  });

  /** One login attempt through the interceptor; resolves to the HTTP status the client would get. */
  async function attempt(outcome: Outcome, email = 'alice@example.com', delayMs = 0): Promise<number> {
    const { ctx } = context(AuthController.prototype.login, ip, email);
    const next: CallHandler = {
      handle: () => {
        handled++;
        if (outcome === 'success') return of({ ok: true });
        const error = outcome === 'server-error' ? new InternalServerErrorException() : new UnauthorizedException();
        return timer(delayMs).pipe(mergeMap(() => throwError(() => error)));
      },
    };
    try {
      await lastValueFrom(await interceptor.intercept(ctx, next));
      await new Promise((r) => setTimeout(r, 5)); // the reset is fire-and-forget
      return 200;
    } catch (error) {
      return (error as HttpException).getStatus();
    }
  }

  it('counts failed attempts per IP + username, refuses past maxAttempts with Retry-After, resets on success', async () => {
    expect([await attempt('wrong-password'), await attempt('wrong-password')]).toEqual([401, 401]);
    expect(await attempt('success')).toBe(200);
    for (let i = 0; i < 3; i++) expect(await attempt('wrong-password')).toBe(401);
    const { ctx, headers } = context(AuthController.prototype.login, ip, ' Alice@Example.com ');
    await expect(interceptor.intercept(ctx, { handle: () => of({ ok: true }) })).rejects.toMatchObject({
      status: 429,
      response: { code: 'RATE_LIMITED' },
    });
    expect(Number(headers['Retry-After'])).toBeGreaterThan(290);
    expect(await attempt('wrong-password', 'bob@example.com')).toBe(401); // another username
  });

  it('does not count server errors against the caller', async () => {
    for (let i = 0; i < 5; i++) expect(await attempt('server-error')).toBe(500);
    for (let i = 0; i < 3; i++) expect(await attempt('wrong-password')).toBe(401);
    expect(await attempt('wrong-password')).toBe(429);
  });

  it('lets at most maxAttempts concurrent guesses reach the handler', async () => {
    const statuses = await Promise.all(Array.from({ length: 12 }, () => attempt('wrong-password', undefined, 20)));
    expect(handled).toBe(3);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
  });

  it('is a synchronous pass-through on routes without @LoginRateLimit()', () => {
    const { ctx } = context(AuthController.prototype.other, ip, 'x');
    const result = interceptor.intercept(ctx, { handle: () => of('plain') });
    expect(isObservable(result)).toBe(true);
  });
});
