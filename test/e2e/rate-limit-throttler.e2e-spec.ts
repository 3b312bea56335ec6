import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { seconds, SkipThrottle, Throttle, ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { MemoryThrottlerStorage, RedisThrottlerStorage } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import type { Cluster } from 'ioredis';
import { createClusterClient, redisUrl, uniquePrefix } from '../utils/redis';

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

  @Throttle({ short: { limit: 1, ttl: seconds(60), blockDuration: seconds(30) } })
  @Get('penalty')
  penalty() {
    return { ok: true };
  }

  // Named throttlers are skipped by name (@SkipThrottle() alone only skips one named "default").
  @SkipThrottle({ short: true, long: true })
  @Get('free')
  free() {
    return { ok: true };
  }
}

/** Clients the cluster case created, closed after each test (a given client is never closed by the storage). */
const clusterClients: Cluster[] = [];
const storages = [
  ['MemoryThrottlerStorage', async () => new MemoryThrottlerStorage()],
  [
    'RedisThrottlerStorage',
    async () => new RedisThrottlerStorage({ url: redisUrl(), keyPrefix: uniquePrefix('throttler-e2e') }),
  ],
  [
    'RedisThrottlerStorage on a Redis Cluster client',
    async () => {
      const client = await createClusterClient();
      clusterClients.push(client);
      return new RedisThrottlerStorage({ client, keyPrefix: uniquePrefix('throttler-e2e-cluster') });
    },
  ],
] as const;
afterEach(async () => {
  await Promise.all(clusterClients.splice(0).map((c) => c.quit()));
});

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
    const storage = await create();
    const owned = !clusterClients.length;
    const shutdown =
      storage instanceof RedisThrottlerStorage ? jest.spyOn(storage, 'onApplicationShutdown') : undefined;
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
      const rejected = statuses.length === 4 ? await fetch(`${url}/t/a`) : undefined;
      expect(rejected?.status).toBe(429);
      // The stock guard's own 429 and Retry-After-<name>, from the record our storage returns.
      expect(Number(rejected?.headers.get('retry-after-short'))).toBeGreaterThan(0);
      expect(Number(rejected?.headers.get('retry-after-short'))).toBeLessThanOrEqual(60);
      expect([(await fetch(`${url}/t/one`)).status, (await fetch(`${url}/t/one`)).status]).toEqual([200, 429]);
      // blockDuration from @Throttle: the penalty box, not extended by further hits.
      expect((await fetch(`${url}/t/penalty`)).status).toBe(200);
      const blocked = await fetch(`${url}/t/penalty`);
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after-short')).toBe('30');
      for (let i = 0; i < 3; i++) await fetch(`${url}/t/penalty`);
      await new Promise((r) => setTimeout(r, 1_100));
      expect(Number((await fetch(`${url}/t/penalty`)).headers.get('retry-after-short'))).toBeLessThanOrEqual(29);
      for (let i = 0; i < 5; i++) expect((await fetch(`${url}/t/free`)).status).toBe(200);
    } finally {
      await app.close();
    }
    // Nest ran the storage's shutdown hook (ThrottlerModule provides it through a factory): the
    // Redis storage closes the client it created.
    if (storage instanceof RedisThrottlerStorage && owned) {
      expect(shutdown).toHaveBeenCalledTimes(1);
      const client = (storage as unknown as { storage: { getClient(): { status: string } } }).storage.getClient();
      for (let i = 0; i < 20 && client.status !== 'end'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(client.status).toBe('end');
    } else if (storage instanceof RedisThrottlerStorage) {
      // A client passed in belongs to the caller: still open after the app closed.
      expect(clusterClients[0].status).toBe('ready');
    }
  });
});
