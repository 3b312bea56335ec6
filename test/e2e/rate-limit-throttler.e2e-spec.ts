import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { seconds, SkipThrottle, Throttle, ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { MemoryThrottlerStorage, RedisThrottlerStorage } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { redisUrl, uniquePrefix } from '../utils/redis';

@Controller('t')
class ThrottledController {
  @Get('a')
  a() {
    return { ok: true };
  }

  @Throttle({ short: { limit: 1, ttl: seconds(60) } })
  @Get('one')
  one() {
    return { ok: true };
  }

  @SkipThrottle()
  @Get('free')
  free() {
    return { ok: true };
  }
}

const storages = [
  ['MemoryThrottlerStorage', () => new MemoryThrottlerStorage()],
  [
    'RedisThrottlerStorage',
    () => new RedisThrottlerStorage({ url: redisUrl(), keyPrefix: uniquePrefix('throttler-e2e') }),
  ],
] as const;

function appModule(storage: MemoryThrottlerStorage | RedisThrottlerStorage) {
  @Module({
    imports: [
      ThrottlerModule.forRoot({
        throttlers: [
          { name: 'short', ttl: seconds(60), limit: 3 },
          { name: 'long', ttl: seconds(3600), limit: 100 },
        ],
        storage,
      }),
    ],
    controllers: [ThrottledController],
    providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
  })
  class ThrottlerAppModule {}
  return ThrottlerAppModule;
}

describe.each(ADAPTERS)("@nestjs/throttler's own guard with our storages (%s)", (adapter) => {
  it.each(storages)('%s works through ThrottlerModule.forRoot({ storage }) unchanged', async (_name, create) => {
    const storage = create();
    const { app, url } = await bootApp(adapter, appModule(storage));
    try {
      const statuses: number[] = [];
      let first: Response | undefined;
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${url}/t/a`);
        first ??= res;
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(first?.headers.get('x-ratelimit-limit-short')).toBe('3');
      expect(first?.headers.get('x-ratelimit-remaining-short')).toBe('2');
      expect(first?.headers.get('x-ratelimit-remaining-long')).toBe('99');
      expect([(await fetch(`${url}/t/one`)).status, (await fetch(`${url}/t/one`)).status]).toEqual([200, 429]);
      expect((await fetch(`${url}/t/free`)).status).toBe(200);
    } finally {
      await app.close();
      await (storage as { onApplicationShutdown?: () => Promise<void> }).onApplicationShutdown?.();
    }
  });
});
