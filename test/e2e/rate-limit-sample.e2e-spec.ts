import { Module, type INestApplication } from '@nestjs/common';
import { LOGIN_RATE_LIMIT_KEY, SecurityModule } from 'nestjs-rampart';
import { AppModule, sampleSecurityOptions } from '../../sample-app/src/app.module';
import { AuthController } from '../../sample-app/src/auth/auth.controller';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from '../../sample-app/src/health/health.controller';
import { PlansController } from '../../sample-app/src/rate-limit/plans.controller';
import { sampleRateLimitOptions } from '../../sample-app/src/rate-limit/rate-limit.options';
import { UsersService } from '../../sample-app/src/users/users.service';
import { ADAPTERS, bootApp } from '../utils/app';
import { redisUrl, uniquePrefix } from '../utils/redis';

/** The sample app's wiring: per-IP limit before authentication, tiers after it, login protection. */
describe.each(ADAPTERS)('sample app rate limits (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let n = 0;
  /** The sample trusts loopback proxies, so each test can be its own client. */
  const client = () => `198.18.${adapter === 'express' ? 1 : 2}.${++n}`;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
  });
  afterAll(() => app.close());

  const login = (ip: string, password: string) =>
    fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ip },
      body: JSON.stringify({ username: 'carol', password }),
    });

  it('announces the IP policy and the anonymous tier on public routes', async () => {
    const res = await fetch(`${url}/health`, { headers: { 'X-Forwarded-For': client() } });
    expect(res.headers.get('ratelimit-policy')).toBe(
      '"default";q=10000;w=60, "anonymous.minute";q=2000;w=60, "anonymous.hour";q=10000;w=3600',
    );
    expect(res.headers.get('ratelimit')).toMatch(/^"default";r=9999;t=\d+, "anonymous.minute";r=1999;t=\d+/);
  });

  it('keys authenticated callers by principal with the authenticated tier', async () => {
    const ip = client();
    const { accessToken } = (await (await login(ip, 'carol-pass')).json()) as { accessToken: string };
    const me = await fetch(`${url}/auth/me`, {
      headers: { Authorization: `Bearer ${accessToken}`, 'X-Forwarded-For': ip },
    });
    expect(me.status).toBe(200);
    expect(me.headers.get('ratelimit-policy')).toContain('"authenticated.minute";q=6000;w=60');
  });

  it('scales quotas 100× under Jest and keeps production values otherwise', () => {
    expect(sampleRateLimitOptions({ NODE_ENV: 'production' }).maxRequests).toBe(100);
    expect(sampleRateLimitOptions({ NODE_ENV: 'production' }).tiers?.anonymous.minute.limit).toBe(20);
    expect(sampleRateLimitOptions({ NODE_ENV: 'test' }).maxRequests).toBe(10_000);
    expect(sampleRateLimitOptions({ RATE_LIMIT_DISABLED: 'true' }).enabled).toBe(false);
  });

  it('puts @LoginRateLimit() on POST /auth/login, which still answers 401 then 200', async () => {
    expect(Reflect.getMetadata(LOGIN_RATE_LIMIT_KEY, AuthController.prototype.login)).toEqual({});
    const ip = client();
    expect((await login(ip, 'wrong')).status).toBe(401);
    expect((await login(ip, 'carol-pass')).status).toBe(200);
  });
});

/**
 * The sample's controllers with its production quotas (not scaled for Jest), on the run's Redis
 * with a prefix of their own (REDIS_URL is set under Jest, so the sample itself would share one).
 */
function productionQuotas() {
  const options = {
    ...sampleSecurityOptions(),
    storage: { type: 'redis' as const, url: redisUrl(), keyPrefix: uniquePrefix('sample-quotas') },
    rateLimit: sampleRateLimitOptions({}),
  };
  @Module({
    imports: [SecurityModule.forRoot(options), TerminusModule.forRoot({ logger: false })],
    controllers: [HealthController, AuthController, PlansController],
    providers: [UsersService],
  })
  class SampleWithProductionQuotas {}
  return SampleWithProductionQuotas;
}

describe.each(ADAPTERS)('sample app with its production quotas (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let n = 0;
  const client = () => `198.19.${adapter === 'express' ? 1 : 2}.${++n}`;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, productionQuotas()));
  });
  afterAll(() => app.close());

  const login = (ip: string, username: string, password: string) =>
    fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ip },
      body: JSON.stringify({ username, password }),
    });
  const token = async (ip: string, username: string) =>
    ((await (await login(ip, username, `${username}-pass`)).json()) as { accessToken: string }).accessToken;

  it('POST /auth/login: 5 failed attempts per IP + username, then 429 even with the right password', async () => {
    const ip = client();
    for (let i = 0; i < 5; i++) expect((await login(ip, 'carol', 'wrong')).status).toBe(401);
    const locked = await login(ip, 'carol', 'carol-pass');
    expect(locked.status).toBe(429);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(290);
    expect(retryAfter).toBeLessThanOrEqual(300);
    expect(await locked.json()).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    // Another username from the same IP, and the same username from another IP, are not locked.
    expect((await login(ip, 'alice', 'alice-pass')).status).toBe(200);
    expect((await login(client(), 'carol', 'carol-pass')).status).toBe(200);
  });

  it('POST /auth/login: a successful login resets the failed-attempt count', async () => {
    const ip = client();
    for (let i = 0; i < 4; i++) expect((await login(ip, 'bob', 'wrong')).status).toBe(401);
    expect((await login(ip, 'bob', 'bob-pass')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await login(ip, 'bob', 'wrong')).status).toBe(401);
    expect((await login(ip, 'bob', 'wrong')).status).toBe(429);
  });

  it('anonymous tier: 20 requests per minute per IP on public routes', async () => {
    const ip = client();
    let last: Response | undefined;
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      last = await fetch(`${url}/health`, { headers: { 'X-Forwarded-For': ip } });
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses[20]).toBe(429);
    expect(last?.headers.get('ratelimit-policy')).toBe(
      '"default";q=100;w=60, "anonymous.minute";q=20;w=60, "anonymous.hour";q=100;w=3600',
    );
  });

  it('authenticated tier: 60 per minute keyed by the user, whatever IP it comes from', async () => {
    const accessToken = await token(client(), 'alice');
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) {
      const res = await fetch(`${url}/auth/me`, {
        headers: { Authorization: `Bearer ${accessToken}`, 'X-Forwarded-For': client() },
      });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(60);
    expect(statuses[60]).toBe(429);
  });

  it('paid tier: an admin-granted paid API key gets 300/min, and routes can set tighter per-tier quotas', async () => {
    const ip = client();
    const adminToken = await token(ip, 'admin');
    const granted = await fetch(`${url}/plans/users/u-bob/paid-key`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminToken}`, 'X-Forwarded-For': ip },
    });
    expect(granted.status).toBe(201);
    const { key } = (await granted.json()) as { key: string };
    const me = await fetch(`${url}/auth/me`, { headers: { 'X-API-Key': key, 'X-Forwarded-For': ip } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: 'u-bob', tier: 'paid' });
    expect(me.headers.get('ratelimit-policy')).toContain('"paid.minute";q=300;w=60, "paid.hour";q=10000;w=3600');

    const paidExport = await fetch(`${url}/plans/export`, { headers: { 'X-API-Key': key, 'X-Forwarded-For': ip } });
    expect(paidExport.headers.get('ratelimit-policy')).toContain('"paid.minute";q=50;w=60');
    const bobToken = await token(ip, 'bob');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${url}/plans/export`, {
        headers: { Authorization: `Bearer ${bobToken}`, 'X-Forwarded-For': client() },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // A non-admin cannot grant plans.
    const denied = await fetch(`${url}/plans/users/u-bob/paid-key`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bobToken}`, 'X-Forwarded-For': ip },
    });
    expect(denied.status).toBe(403);
  });

  it('sets the rate-limit headers on error responses too (401 from authentication)', async () => {
    const res = await fetch(`${url}/auth/me`, { headers: { 'X-Forwarded-For': client() } });
    expect(res.status).toBe(401);
    expect(res.headers.get('ratelimit-policy')).toBe('"default";q=100;w=60');
    expect(res.headers.get('ratelimit')).toMatch(/^"default";r=99;t=\d+$/);
  });
});
