import type { ExecutionContext, HttpException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SkipThrottle, Throttle } from '@nestjs/throttler';
import type { Principal } from '../core/context/principal.interface';
import { getSecurityState } from '../core/context/request-state';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import { SecurityEvents } from '../core/events/security-events.service';
import { resolveSecurityOptions } from '../security.options';
import type { SecurityModuleOptions } from '../security.options';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import { PrincipalRateLimitGuard } from './principal-rate-limit.guard';
import { RateLimit, SkipRateLimit } from './rate-limit.decorator';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimiterService } from './rate-limiter.service';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';

class ItemsController {
  list(): void {}

  @RateLimit({ default: { limit: 1, windowSeconds: 60 } })
  tight(): void {}

  @Throttle({ default: { limit: 2, ttl: 30_000 } })
  throttled(): void {}

  @SkipRateLimit()
  skipped(): void {}

  @RateLimit({ 'paid.minute': { limit: 1, windowSeconds: 60 }, 'paid.export': { limit: 7, windowSeconds: 3600 } })
  paidOverride(): void {}

  @Throttle({ 'authenticated.minute': { limit: 9, ttl: 10_000 } })
  throttledTier(): void {}

  @SkipRateLimit('paid')
  skipPaid(): void {}

  @SkipThrottle({ 'authenticated.minute': true })
  skipThrottleTierPolicy(): void {}
}

type Handler = (this: ItemsController) => void;

/** A typed HTTP ExecutionContext over a fake request (client IP already resolved) and response. */
function http(handler: Handler, ip: string, principal?: Principal) {
  const headers: Record<string, string | number> = {};
  const req = { headers: {}, method: 'GET', url: '/items' };
  getSecurityState(req).ip = ip;
  if (principal) getSecurityState(req).principal = principal;
  const res = {
    setHeader: (name: string, value: string | number) => (headers[name] = value),
    getHeader: (name: string) => headers[name],
  };
  const ctx: ExecutionContext = new ExecutionContextHost(
    [req, res],
    ItemsController,
    handler as (...args: unknown[]) => unknown,
  );
  return { ctx, headers };
}

function guards(options: SecurityModuleOptions) {
  const resolved = resolveSecurityOptions({ events: { logger: false }, ...options });
  const events = new SecurityEvents(resolved);
  const limiter = new RateLimiterService(new MemorySecurityStorage(), resolved, events);
  const reflector = new Reflector();
  return {
    ip: new RateLimitGuard(resolved, limiter, events, reflector, new RoutePlanCache()),
    principal: new PrincipalRateLimitGuard(resolved, limiter, events, reflector, new RoutePlanCache()),
    reflector,
  };
}

const p = ItemsController.prototype;
const rejectionOf = (fn: () => unknown): HttpException => {
  try {
    fn();
  } catch (error) {
    return error as HttpException;
  }
  throw new Error('expected a rejection');
};

describe('RateLimitGuard', () => {
  it('decides synchronously on the memory store and throws 429 with Retry-After past the limit', () => {
    const { ip } = guards({ rateLimit: { maxRequests: 2, windowSeconds: 60, escalation: { enabled: false } } });
    expect(ip.canActivate(http(p.list, '1.1.1.1').ctx)).toBe(true);
    expect(ip.canActivate(http(p.list, '1.1.1.1').ctx)).toBe(true);
    const third = http(p.list, '1.1.1.1');
    const error = rejectionOf(() => ip.canActivate(third.ctx));
    expect(error.getStatus()).toBe(429);
    expect(error.getResponse()).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(third.headers['Retry-After']).toBeGreaterThan(0);
    expect(third.headers.RateLimit).toMatch(/^"default";r=0;t=\d+$/);
  });

  it('reads route metadata once per handler, not per request', () => {
    const { ip, reflector } = guards({});
    const spy = jest.spyOn(reflector, 'getAllAndOverride');
    ip.canActivate(http(p.list, '2.2.2.2').ctx);
    const perFirstRequest = spy.mock.calls.length;
    for (let i = 0; i < 5; i++) ip.canActivate(http(p.list, '2.2.2.2').ctx);
    expect(perFirstRequest).toBeGreaterThan(0);
    expect(spy.mock.calls.length).toBe(perFirstRequest);
  });

  it.each<[string, Handler, string]>([
    ['@RateLimit', p.tight, '"default";q=1;w=60'],
    ['@Throttle (ms → s)', p.throttled, '"default";q=2;w=30'],
    ['no decorator', p.list, '"default";q=100;w=60'],
  ])('applies %s to the route', (_name, handler, policy) => {
    const { ip } = guards({});
    const { ctx, headers } = http(handler, '3.3.3.3');
    ip.canActivate(ctx);
    expect(headers['RateLimit-Policy']).toBe(policy);
  });

  it('matches the allowlist on the full IPv6 address (not the /64 tracker)', () => {
    const { ip } = guards({ rateLimit: { maxRequests: 1, allowlist: ['2001:db8:5::7', '2001:db8:6::/48'] } });
    for (let i = 0; i < 3; i++) {
      expect(ip.canActivate(http(p.list, '2001:db8:5::7').ctx)).toBe(true);
      expect(ip.canActivate(http(p.list, '2001:db8:6:1::9').ctx)).toBe(true);
    }
    expect(ip.canActivate(http(p.list, '2001:db8:5::8').ctx)).toBe(true);
    expect(rejectionOf(() => ip.canActivate(http(p.list, '2001:db8:5::9').ctx)).getStatus()).toBe(429);
  });

  it('leaves @RateLimit policies named after a tier to the principal guard', () => {
    const { ip } = guards({ rateLimit: { tiers: { paid: { minute: { limit: 5, windowSeconds: 60 } } } } });
    const { ctx, headers } = http(p.paidOverride, '3.3.3.4');
    ip.canActivate(ctx);
    expect(headers['RateLimit-Policy']).toBe('"default";q=100;w=60');
  });

  it('skips @SkipRateLimit routes and allowlisted IPs without touching headers', () => {
    const { ip } = guards({ rateLimit: { maxRequests: 1, allowlist: ['10.0.0.0/8'] } });
    for (let i = 0; i < 3; i++) {
      const skipped = http(p.skipped, '4.4.4.4');
      expect(ip.canActivate(skipped.ctx)).toBe(true);
      expect(skipped.headers).toEqual({});
      expect(ip.canActivate(http(p.list, '10.1.2.3').ctx)).toBe(true);
    }
  });
});

describe('PrincipalRateLimitGuard', () => {
  const user = (id: string, tier?: string): Principal => ({
    type: 'user',
    id,
    roles: [],
    scopes: [],
    claims: {},
    tier,
  });
  const tiers = {
    anonymous: { minute: { limit: 1, windowSeconds: 60 } },
    authenticated: { minute: { limit: 2, windowSeconds: 60 } },
    paid: { minute: { limit: 5, windowSeconds: 60 } },
  };

  it.each<[string, Principal | undefined, string]>([
    ['anonymous tier without a principal', undefined, '"anonymous.minute";q=1;w=60'],
    ['authenticated tier for a principal without one', user('u1'), '"authenticated.minute";q=2;w=60'],
    ['tier the principal names', user('u2', 'paid'), '"paid.minute";q=5;w=60'],
    ['authenticated tier for an unknown one (never unlimited)', user('u3', 'gold'), '"authenticated.minute";q=2;w=60'],
  ])('picks the %s', (_name, principal, policy) => {
    const { principal: guard } = guards({ rateLimit: { tiers } });
    const { ctx, headers } = http(p.list, '5.5.5.5', principal);
    guard.canActivate(ctx);
    expect(headers['RateLimit-Policy']).toBe(policy);
  });

  it('keys principals by id, so a new IP does not reset their quota', () => {
    const { principal: guard } = guards({ rateLimit: { tiers, escalation: { enabled: false } } });
    expect(guard.canActivate(http(p.list, '6.6.6.1', user('same')).ctx)).toBe(true);
    expect(guard.canActivate(http(p.list, '6.6.6.2', user('same')).ctx)).toBe(true);
    expect(rejectionOf(() => guard.canActivate(http(p.list, '6.6.6.3', user('same')).ctx)).getStatus()).toBe(429);
  });

  it.each<[string, Handler, Principal | undefined, string | undefined]>([
    [
      '@RateLimit replaces a tier quota and adds one',
      p.paidOverride,
      user('r1', 'paid'),
      '"paid.minute";q=1;w=60, "paid.export";q=7;w=3600',
    ],
    ['@RateLimit of another tier leaves this one alone', p.paidOverride, user('r2'), '"authenticated.minute";q=2;w=60'],
    ['@Throttle (ms → s) replaces a tier quota', p.throttledTier, user('r3'), '"authenticated.minute";q=9;w=10'],
    ['@SkipRateLimit(tier) skips that tier', p.skipPaid, user('r4', 'paid'), undefined],
    ['@SkipRateLimit(tier) leaves the others', p.skipPaid, undefined, '"anonymous.minute";q=1;w=60'],
    ['@SkipThrottle({ tier.policy }) skips that policy', p.skipThrottleTierPolicy, user('r5'), undefined],
    ['@SkipRateLimit() skips every tier', p.skipped, user('r6', 'paid'), undefined],
  ])('per route: %s', (_name, handler, principal, policy) => {
    const { principal: guard } = guards({ rateLimit: { tiers } });
    const { ctx, headers } = http(handler, '5.5.5.6', principal);
    expect(guard.canActivate(ctx)).toBe(true);
    expect(headers['RateLimit-Policy']).toBe(policy);
  });

  it("gives a route override its own budget, separate from the tier's shared one", () => {
    const { principal: guard } = guards({ rateLimit: { tiers, escalation: { enabled: false } } });
    expect(guard.canActivate(http(p.paidOverride, '6.6.7.1', user('own', 'paid')).ctx)).toBe(true);
    expect(
      rejectionOf(() => guard.canActivate(http(p.paidOverride, '6.6.7.1', user('own', 'paid')).ctx)).getStatus(),
    ).toBe(429);
    const shared = http(p.list, '6.6.7.1', user('own', 'paid'));
    expect(guard.canActivate(shared.ctx)).toBe(true);
    expect(shared.headers.RateLimit).toMatch(/^"paid.minute";r=4;/);
  });

  it('exempts allowlisted IPs, with or without a principal', () => {
    const { principal: guard } = guards({ rateLimit: { tiers, allowlist: ['10.0.0.0/8'] } });
    for (let i = 0; i < 4; i++) {
      const anonymous = http(p.list, '10.1.1.1');
      expect(guard.canActivate(anonymous.ctx)).toBe(true);
      expect(anonymous.headers).toEqual({});
      expect(guard.canActivate(http(p.list, '10.1.1.2', user('internal-service')).ctx)).toBe(true);
    }
  });

  it('is a pass-through when no tiers are configured', () => {
    const { principal: guard } = guards({});
    const { ctx, headers } = http(p.list, '7.7.7.7');
    expect(guard.canActivate(ctx)).toBe(true);
    expect(headers).toEqual({});
  });
});
