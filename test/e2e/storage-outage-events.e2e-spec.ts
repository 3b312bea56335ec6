import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { CurrentPrincipal, SecurityModule, TokenService, type SecurityEvent } from 'nestjs-rampart';
import { randomBytes } from 'node:crypto';
import { ADAPTERS, bootApp } from '../utils/app';
import { spawnRedis, type SpawnedRedis } from '../fixtures/redis-server';

@Controller('outage')
class OutageController {
  @Get('me')
  me(@CurrentPrincipal('id') id: string) {
    return { id };
  }
}

function appModule(url: string, events: SecurityEvent[]): DynamicModule {
  @Module({})
  class OutageAppModule {}
  return {
    module: OutageAppModule,
    imports: [
      SecurityModule.forRoot({
        storage: { type: 'redis', url, keyPrefix: 'outage:', commandTimeoutMs: 200 },
        events: { logger: false, sinks: [(e) => events.push(e)] },
        rateLimit: { enabled: false },
        auth: { jwt: { secret: randomBytes(32).toString('hex') } },
      }),
    ],
    controllers: [OutageController],
  };
}

describe.each(ADAPTERS)('events during a Redis outage (%s)', (adapter) => {
  let redis: SpawnedRedis;
  let app: INestApplication;
  let url: string;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    redis = await spawnRedis();
    ({ app, url } = await bootApp(adapter, appModule(redis.url, events) as never));
  });
  afterAll(async () => {
    await app.close();
    await redis.stop().catch(() => undefined);
  });

  it('one STORAGE_UNAVAILABLE per feature and episode, not one per refused request', async () => {
    const { accessToken } = await app.get(TokenService).issue({ id: 'alice' });
    const headers = { authorization: `Bearer ${accessToken}` };
    expect((await fetch(`${url}/outage/me`, { headers })).status).toBe(200);
    await redis.stop();
    const statuses = await Promise.all(Array.from({ length: 60 }, () => fetch(`${url}/outage/me`, { headers })));
    expect(new Set(statuses.map((r) => r.status))).toEqual(new Set([503]));
    const unavailable = events.filter((e) => e.type === 'STORAGE_UNAVAILABLE');
    expect(unavailable).toHaveLength(1);
    expect(unavailable[0].reason).toBe('authentication');
  });
});
