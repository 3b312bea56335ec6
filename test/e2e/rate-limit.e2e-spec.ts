import {
  Body,
  Controller,
  Get,
  Injectable,
  type MiddlewareConsumer,
  Module,
  type NestMiddleware,
  type NestModule,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { SkipThrottle, Throttle } from '@nestjs/throttler';
import {
  LoginRateLimit,
  MemorySecurityStorage,
  Public,
  RateLimit,
  SecurityModule,
  SkipRateLimit,
  type SecurityEvent,
  type SecurityModuleOptions,
} from 'nestjs-rampart';
import { getSecurityState } from '../../src/core/context/request-state';
import { ADAPTERS, bootApp } from '../utils/app';

const events: SecurityEvent[] = [];
let ipCounter = 0;
/** A fresh client IP per test, announced by the (trusted, loopback) proxy. */
const nextIp = () => `203.0.113.${++ipCounter}`;

@Public()
@Controller('rl')
class RateLimitedController {
  @Get('ok')
  ok() {
    return { ok: true };
  }

  @RateLimit({ default: { limit: 2, windowSeconds: 60 } })
  @Get('tight')
  tight() {
    return { ok: true };
  }

  @RateLimit({ burst: { limit: 1, windowSeconds: 60 } })
  @Get('extra')
  extra() {
    return { ok: true };
  }

  @Throttle({ default: { limit: 1, ttl: 60_000 } })
  @Get('throttle')
  throttle() {
    return { ok: true };
  }

  @RateLimit({ 'paid.minute': { limit: 1, windowSeconds: 60 } })
  @Get('paid-export')
  paidExport() {
    return { ok: true };
  }

  @SkipRateLimit()
  @Get('skip')
  skip() {
    return { ok: true };
  }

  @SkipThrottle()
  @Get('skip-throttle')
  skipThrottle() {
    return { ok: true };
  }

  @RateLimit({ default: { limit: 20, windowSeconds: 60 } })
  @LoginRateLimit({ maxAttempts: 3 })
  @Post('login')
  login(@Body() body: { username?: string; password?: string }) {
    if (body.password !== 'right') throw new UnauthorizedException('Invalid credentials');
    return { ok: true };
  }
}

/** Stands in for the authentication guard: `x-test-principal: id:tier`. */
@Injectable()
class TestPrincipalMiddleware implements NestMiddleware {
  use(req: { headers: Record<string, string | undefined> }, _res: unknown, next: () => void): void {
    const header = req.headers['x-test-principal'];
    if (header) {
      const [id, tier] = header.split(':');
      getSecurityState(req).principal = {
        type: 'user',
        id,
        roles: [],
        scopes: [],
        claims: {},
        tier: tier || undefined,
      };
    }
    next();
  }
}

const ORIGIN = 'https://app.example.com';

const base: SecurityModuleOptions = {
  trustProxy: ['loopback'],
  cors: { origins: [ORIGIN] },
  auth: { enabled: false },
  events: { logger: false, sinks: [(e) => events.push(e)] },
};

function appModule(rateLimit: SecurityModuleOptions['rateLimit'], extra: Partial<SecurityModuleOptions> = {}) {
  @Module({
    imports: [SecurityModule.forRoot({ ...base, ...extra, rateLimit })],
    controllers: [RateLimitedController],
    providers: [TestPrincipalMiddleware],
  })
  class RateLimitAppModule implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer.apply(TestPrincipalMiddleware).forRoutes('*path');
    }
  }
  return RateLimitAppModule;
}

const get = (url: string, ip: string, headers: Record<string, string> = {}) =>
  fetch(url, { headers: { 'X-Forwarded-For': ip, ...headers } });

describe.each(ADAPTERS)('rate limiting (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(
      adapter,
      appModule({
        maxRequests: 5,
        windowSeconds: 60,
        headers: 'both',
        escalation: { enabled: false },
        allowlist: ['198.51.100.0/24', '2001:db8:aaaa::/48'],
        tiers: {
          authenticated: { minute: { limit: 3, windowSeconds: 60 } },
          paid: { minute: { limit: 4, windowSeconds: 60 } },
        },
      }),
    ));
  });
  afterAll(() => app.close());

  it('admits `maxRequests` per window per IP with IETF and legacy headers, then answers 429', async () => {
    const ip = nextIp();
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await get(`${url}/rl/ok`, ip);
      statuses.push(last.status);
      if (i === 0) {
        expect(last.headers.get('ratelimit-policy')).toBe('"default";q=5;w=60');
        expect(last.headers.get('ratelimit')).toMatch(/^"default";r=4;t=\d+$/);
        expect(last.headers.get('x-ratelimit-limit')).toBe('5');
        expect(last.headers.get('x-ratelimit-remaining')).toBe('4');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const res = last as Response;
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('ratelimit-policy')).toBe('"default";q=5;w=60');
    expect(res.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', code: 'RATE_LIMITED' });
    expect(body.retryAfter).toBe(Number(res.headers.get('retry-after')));
    expect(events.some((e) => e.type === 'RATE_LIMITED' && e.ip === ip)).toBe(true);
  });

  it('exposes the rate-limit headers of a 429 to browsers through CORS', async () => {
    const ip = nextIp();
    for (let i = 0; i < 5; i++) await get(`${url}/rl/ok`, ip);
    const res = await get(`${url}/rl/ok`, ip, { Origin: ORIGIN });
    expect(res.status).toBe(429);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const exposed = (res.headers.get('access-control-expose-headers') ?? '')
      .split(/\s*,\s*/)
      .map((h) => h.toLowerCase());
    expect(exposed).toEqual(expect.arrayContaining(['ratelimit', 'ratelimit-policy', 'retry-after']));
    expect(res.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('keeps separate budgets per client IP', async () => {
    const a = nextIp();
    for (let i = 0; i < 5; i++) await get(`${url}/rl/ok`, a);
    expect((await get(`${url}/rl/ok`, a)).status).toBe(429);
    expect((await get(`${url}/rl/ok`, nextIp())).status).toBe(200);
  });

  it("believes a trusted proxy's X-Forwarded-For only from the right: hops a client prepends change nothing", async () => {
    const ip = nextIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(`${url}/rl/ok`, `192.0.2.${i + 1}, ${ip}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('tracks IPv6 clients by /64, so rotating addresses inside it does not reset the limit', async () => {
    const prefix = `2001:db8:${adapter === 'express' ? 'e' : 'f'}:${++ipCounter}`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(`${url}/rl/ok`, `${prefix}::${i + 1}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await get(`${url}/rl/ok`, `2001:db8:9:${++ipCounter}::1`)).status).toBe(200);
  });

  it('gives a @RateLimit route its own budget and adds extra named policies', async () => {
    const ip = nextIp();
    expect([(await get(`${url}/rl/tight`, ip)).status, (await get(`${url}/rl/tight`, ip)).status]).toEqual([200, 200]);
    expect((await get(`${url}/rl/tight`, ip)).status).toBe(429);
    // The shared default budget was not used by the route's own one.
    expect((await get(`${url}/rl/ok`, ip)).headers.get('ratelimit')).toMatch(/^"default";r=4;/);
    const extra = await get(`${url}/rl/extra`, ip);
    expect(extra.headers.get('ratelimit-policy')).toBe('"default";q=5;w=60, "burst";q=1;w=60');
    expect((await get(`${url}/rl/extra`, ip)).status).toBe(429);
  });

  it("honours @nestjs/throttler's @Throttle and @SkipThrottle metadata", async () => {
    const ip = nextIp();
    const first = await get(`${url}/rl/throttle`, ip);
    expect(first.headers.get('ratelimit-policy')).toBe('"default";q=1;w=60');
    expect((await get(`${url}/rl/throttle`, ip)).status).toBe(429);
    for (let i = 0; i < 8; i++) expect((await get(`${url}/rl/skip-throttle`, ip)).status).toBe(200);
  });

  it('skips @SkipRateLimit routes and allowlisted IPs entirely', async () => {
    const ip = nextIp();
    for (let i = 0; i < 8; i++) {
      const res = await get(`${url}/rl/skip`, ip);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toBeNull();
    }
    for (let i = 0; i < 8; i++) expect((await get(`${url}/rl/ok`, '198.51.100.7')).status).toBe(200);
    for (let i = 0; i < 8; i++) expect((await get(`${url}/rl/ok`, '2001:db8:aaaa:1::7')).status).toBe(200);
    // Allowlisted callers are exempt from the principal tiers too.
    for (let i = 0; i < 5; i++) {
      const res = await get(`${url}/rl/ok`, '198.51.100.8', { 'x-test-principal': `svc-${adapter}` });
      expect(res.status).toBe(200);
    }
  });

  it('applies principal tiers keyed by principal id, across IPs', async () => {
    const user = `user-${adapter}-${Date.now()}`;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await get(`${url}/rl/ok`, nextIp(), { 'x-test-principal': user })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const paid = `paid-${adapter}-${Date.now()}`;
    const res = await get(`${url}/rl/ok`, nextIp(), { 'x-test-principal': `${paid}:paid` });
    expect(res.headers.get('ratelimit-policy')).toBe('"default";q=5;w=60, "paid.minute";q=4;w=60');
    expect(res.headers.get('ratelimit')).toMatch(/^"default";r=4;t=\d+, "paid.minute";r=3;t=\d+$/);
    // A tier nobody configured falls back to "authenticated", never to unlimited.
    const unknown = await get(`${url}/rl/ok`, nextIp(), { 'x-test-principal': `${paid}-x:gold` });
    expect(unknown.headers.get('ratelimit-policy')).toContain('"authenticated.minute";q=3;w=60');
  });

  it('lets a route replace a tier quota with its own budget (@RateLimit with "<tier>.<policy>")', async () => {
    const paid = `paid-route-${adapter}-${Date.now()}`;
    const first = await get(`${url}/rl/paid-export`, nextIp(), { 'x-test-principal': `${paid}:paid` });
    expect(first.headers.get('ratelimit-policy')).toBe('"default";q=5;w=60, "paid.minute";q=1;w=60');
    expect((await get(`${url}/rl/paid-export`, nextIp(), { 'x-test-principal': `${paid}:paid` })).status).toBe(429);
    // The tier's shared budget was not touched by the route's own one.
    const shared = await get(`${url}/rl/ok`, nextIp(), { 'x-test-principal': `${paid}:paid` });
    expect(shared.headers.get('ratelimit')).toMatch(/"paid.minute";r=3;/);
    // Other tiers keep their quota on that route.
    const other = await get(`${url}/rl/paid-export`, nextIp(), { 'x-test-principal': `${paid}-free` });
    expect(other.headers.get('ratelimit-policy')).toContain('"authenticated.minute";q=3;w=60');
  });

  it('locks a login out after failed attempts per IP + username, and resets on success', async () => {
    const ip = nextIp();
    const login = (username: string, password: string) =>
      fetch(`${url}/rl/login`, {
        method: 'POST',
        headers: { 'X-Forwarded-For': ip, 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
    expect((await login('alice', 'wrong')).status).toBe(401);
    expect((await login('alice', 'wrong')).status).toBe(401);
    expect((await login('alice', 'right')).status).toBe(201); // success resets the count
    for (let i = 0; i < 3; i++) expect((await login('alice', 'wrong')).status).toBe(401);
    const locked = await login('Alice ', 'right');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await locked.json()) as { code: string }).code).toBe('RATE_LIMITED');
    expect((await login('bob', 'wrong')).status).toBe(401); // other usernames are unaffected
    expect(events.some((e) => e.reason === 'login_attempts_exhausted')).toBe(true);
    expect(JSON.stringify(events)).not.toContain('alice');
  });
});

describe.each(ADAPTERS)('rate limiting without trusted proxies (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(
      adapter,
      appModule({ maxRequests: 3, windowSeconds: 60, burstFactor: 2 }, { trustProxy: [] }),
    ));
  });
  afterAll(() => app.close());

  it('ignores a spoofed X-Forwarded-For: rotating it does not reset the limit', async () => {
    const statuses: number[] = [];
    let first: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await get(`${url}/rl/ok`, `10.9.8.${i}`);
      first ??= res;
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    // headers: 'ietf' (default): no legacy headers.
    expect(first?.headers.get('ratelimit')).toMatch(/^"default";r=2;t=\d+$/);
    expect(first?.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('blocks with escalation by default and reports a burst far above the limit', async () => {
    const res = await get(`${url}/rl/ok`, '10.0.0.99');
    expect(res.status).toBe(429);
    // Escalation (default on): the first strike blocks for one window.
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(events.some((e) => e.type === 'BURST_DETECTED' && e.ip === '127.0.0.1')).toBe(true);
  });
});

describe.each(ADAPTERS)('rate limiting escalation (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  // The store's clock is the test's: 1 s windows and blocks do not depend on how fast a busy
  // machine sends the requests. It starts mid-window so a step never lands on a window edge.
  let clock = 1_700_000_000_250;
  const advance = (ms: number) => {
    clock += ms;
  };

  beforeAll(async () => {
    ({ app, url } = await bootApp(
      adapter,
      appModule(
        { maxRequests: 1, windowSeconds: 1, escalation: { multipliers: [1, 3], decaySeconds: 1 } },
        { storage: new MemorySecurityStorage({ now: () => clock }) },
      ),
    ));
  });
  afterAll(() => app.close());

  /** Requests until the first 429 (the sliding estimate may admit one more near a window edge). */
  async function violate(ip: string): Promise<Response> {
    for (let i = 0; i < 3; i++) {
      const res = await get(`${url}/rl/ok`, ip);
      if (res.status === 429) return res;
    }
    throw new Error('never rate limited');
  }

  it('multiplies the block for a repeat offender and forgets it after good behaviour', async () => {
    const ip = nextIp();
    const first = await violate(ip);
    expect(first.headers.get('retry-after')).toBe('1'); // strike 1: window (1 s) × 1
    for (let i = 0; i < 3; i++) expect((await get(`${url}/rl/ok`, ip)).status).toBe(429); // hammering
    advance(1_050);
    const second = await violate(ip);
    expect(second.headers.get('retry-after')).toBe('3'); // strike 2: × 3
    const blocked = await get(`${url}/rl/ok`, ip);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(3); // not extended
    expect(
      events.some((e) => e.type === 'RATE_LIMITED' && e.ip === ip && e.reason === 'limit_exceeded_escalated'),
    ).toBe(true);
    advance(3_000 + 1_100); // the block, then decaySeconds without a violation
    const afterDecay = await violate(ip);
    expect(afterDecay.headers.get('retry-after')).toBe('1');
  });
});
