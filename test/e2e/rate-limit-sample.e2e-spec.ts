import type { INestApplication } from '@nestjs/common';
import { LOGIN_RATE_LIMIT_KEY } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { AuthController } from '../../sample-app/src/auth/auth.controller';
import { sampleRateLimitOptions } from '../../sample-app/src/rate-limit/rate-limit.options';
import { ADAPTERS, bootApp } from '../utils/app';

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
