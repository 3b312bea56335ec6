import type { INestApplication } from '@nestjs/common';
import { Controller, Get, Module } from '@nestjs/common';
import { CurrentPrincipal, Public, SecurityModule, TokenService, type Principal } from 'nestjs-rampart';
import { randomBytes } from 'node:crypto';
import { spawnRedis, type SpawnedRedis } from '../fixtures/redis-server';
import { ADAPTERS, bootApp } from '../utils/app';

/**
 * What docs/storage.md says happens while Redis is down, on a real outage (a redis-server this
 * test starts, then stops): authenticated routes answer 503 STORAGE_UNAVAILABLE (the revocation
 * check fails closed), public routes keep answering, TokenService refuses to issue (503), and the
 * default rate limit (failOpen) keeps deciding in memory instead of failing the request.
 */
const secret = randomBytes(48).toString('base64url');

@Controller()
class OutageController {
  constructor(private readonly tokens: TokenService) {}

  @Public()
  @Get('login')
  login(): Promise<{ accessToken: string }> {
    return this.tokens.issue({ id: 'u-1', roles: ['user'] });
  }

  @Public()
  @Get('health')
  health(): { ok: true } {
    return { ok: true };
  }

  @Get('me')
  me(@CurrentPrincipal() principal: Principal): { id: string } {
    return { id: principal.id };
  }
}

function outageModule(url: string) {
  @Module({
    imports: [
      SecurityModule.forRoot({
        storage: { type: 'redis', url, keyPrefix: `docs-outage-${process.pid}:` },
        auth: { jwt: { secret } },
      }),
    ],
    controllers: [OutageController],
  })
  class OutageModule {}
  return OutageModule;
}

describe.each(ADAPTERS)('while Redis is down (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let token: string;
  let redis: SpawnedRedis;

  beforeAll(async () => {
    redis = await spawnRedis();
    ({ app, url } = await bootApp(adapter, outageModule(redis.url)));
    const login = await fetch(`${url}/login`);
    expect(login.status).toBe(200);
    token = ((await login.json()) as { accessToken: string }).accessToken;
    expect((await fetch(`${url}/me`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    await redis.stop();
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('answers 503 STORAGE_UNAVAILABLE on an authenticated route, even for a valid token', async () => {
    const res = await fetch(`${url}/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });

  it('keeps answering public routes (the rate limit decides in memory)', async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit')).toMatch(/"default";r=\d+/);
  });

  it('issues no token (503)', async () => {
    const res = await fetch(`${url}/login`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });
});
