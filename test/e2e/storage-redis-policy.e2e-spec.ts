import { Controller, Get, Logger, Module, type DynamicModule } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Public, SecurityModule } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { redisUrl, uniquePrefix } from '../utils/redis';
import { spawnRedis, type SpawnedRedis } from '../fixtures/redis-server';

@Public()
@Controller('policy')
class PolicyController {
  @Get()
  ok() {
    return { ok: true };
  }
}

function appModule(url: string): DynamicModule {
  @Module({})
  class PolicyAppModule {}
  return {
    module: PolicyAppModule,
    imports: [
      SecurityModule.forRoot({
        storage: { type: 'redis', url, keyPrefix: uniquePrefix('policy') },
        events: { logger: false },
      }),
    ],
    controllers: [PolicyController],
  };
}

/** The warnings SecurityModule logged about Redis's eviction policy while `run` ran. */
async function policyWarnings(run: () => Promise<void>): Promise<string[]> {
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  try {
    await run();
    return warn.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('maxmemory-policy'));
  } finally {
    warn.mockRestore();
  }
}

describe.each(ADAPTERS)("Redis's eviction policy is checked at boot (%s)", (adapter) => {
  let evicting: SpawnedRedis;
  let noConfig: SpawnedRedis;

  beforeAll(async () => {
    evicting = await spawnRedis(undefined, { args: ['--maxmemory-policy', 'allkeys-lru'] });
    noConfig = await spawnRedis(undefined, { args: ['--rename-command', 'CONFIG', ''] });
  });
  afterAll(async () => {
    await evicting.stop();
    await noConfig.stop();
  });

  async function boot(url: string): Promise<INestApplication> {
    const { app, url: base } = await bootApp(adapter, appModule(url) as never);
    expect((await fetch(`${base}/policy`)).status).toBe(200);
    return app;
  }

  it('warns once when the server would evict keys (allkeys-lru), naming the fix', async () => {
    let app: INestApplication | undefined;
    const warnings = await policyWarnings(async () => {
      app = await boot(evicting.url);
    });
    await app?.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/maxmemory-policy is "allkeys-lru"/);
    expect(warnings[0]).toMatch(/noeviction/);
  });

  it('says nothing on a noeviction server (the test Redis)', async () => {
    let app: INestApplication | undefined;
    const warnings = await policyWarnings(async () => {
      app = await boot(redisUrl());
    });
    await app?.close();
    expect(warnings).toEqual([]);
  });

  it('boots and serves when CONFIG is disabled on the server', async () => {
    let app: INestApplication | undefined;
    const warnings = await policyWarnings(async () => {
      app = await boot(noConfig.url);
    });
    await app?.close();
    expect(warnings).toEqual([]);
  });
});
