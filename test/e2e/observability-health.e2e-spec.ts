import type { INestApplication } from '@nestjs/common';
import type { SecurityEvent } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';
import { observabilityApp } from '../fixtures/observability-app';
import { spawnRedis, type SpawnedRedis } from '../fixtures/redis-server';
import { inMemoryMeter } from '../fixtures/in-memory-meter';

/**
 * Polls `/health` until it answers `status` (for 200: with the storage `up`, not `degraded` by one
 * slow probe on a busy machine), or gives up after `tries` (Redis reconnects with a backoff).
 */
async function healthUntil(
  url: string,
  status: number,
  tries = 60,
): Promise<{ status: number; body: Record<string, unknown> }> {
  let last = { status: 0, body: {} as Record<string, unknown> };
  for (let i = 0; i < tries; i++) {
    const res = await fetch(`${url}/health`);
    last = { status: res.status, body: (await res.json()) as Record<string, unknown> };
    const degraded = JSON.stringify(last.body).includes('"degraded"');
    if (last.status === status && !(status === 200 && degraded)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}

describe.each(ADAPTERS)('the sample app’s /health with the security storage indicator (%s)', (adapter) => {
  let redis: SpawnedRedis;
  let app: INestApplication;
  let url: string;
  const previous = process.env.REDIS_URL;

  beforeAll(async () => {
    redis = await spawnRedis();
    process.env.REDIS_URL = redis.url;
    try {
      ({ app, url } = await bootApp(adapter, AppModule));
    } finally {
      process.env.REDIS_URL = previous;
    }
  });
  afterAll(async () => {
    await app.close();
    await redis.stop().catch(() => undefined);
  });

  it('is up with Redis, down (503) when it stops, up again when it returns', async () => {
    const up = await healthUntil(url, 200);
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({
      status: 'ok',
      details: { securityStorage: { status: 'up', storage: 'redis', latencyMs: expect.any(Number) } },
    });
    const port = redis.port;
    await redis.stop();
    const down = await healthUntil(url, 503);
    expect(down.status).toBe(503);
    expect(JSON.stringify(down.body)).not.toMatch(/redis:\/\/|ECONNREFUSED|stack/i);
    redis = await spawnRedis(port);
    const back = await healthUntil(url, 200);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ details: { securityStorage: { status: 'up' } } });
  });
});

describe.each(ADAPTERS)('storage state changes as metrics (%s)', (adapter) => {
  let redis: SpawnedRedis;
  let app: INestApplication;
  let url: string;
  const events: SecurityEvent[] = [];
  const meter = inMemoryMeter();

  beforeAll(async () => {
    redis = await spawnRedis();
    ({ app, url } = await bootApp(
      adapter,
      observabilityApp(events, {
        storage: { type: 'redis', url: redis.url, keyPrefix: 'health:', commandTimeoutMs: 200 },
        rateLimit: { edge: false, failOpen: false },
        metrics: { meterProvider: meter.provider },
      }) as never,
    ));
  });
  afterAll(async () => {
    await app.close();
    await meter.shutdown();
    await redis.stop().catch(() => undefined);
  });

  it('counts one "unavailable" per feature and episode, however many requests fail', async () => {
    expect((await fetch(`${url}/obs/limited`)).status).toBe(200);
    await redis.stop();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${url}/obs/limited`).then((r) => r.status)),
    );
    expect(new Set(statuses)).toEqual(new Set([503]));
    const metrics = await meter.collect();
    const changes = metrics.get('rampart.storage.state_changes')?.dataPoints.map((p) => [p.attributes, p.value]);
    expect(changes).toEqual([[{ state: 'unavailable', reason: 'rate_limit_storage_unavailable' }, 1]]);
  });
});
