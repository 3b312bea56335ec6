import type { INestApplication } from '@nestjs/common';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { inMemoryMeter } from '../fixtures/in-memory-meter';
import { TokenService, type SecurityEvent } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { observabilityApp } from '../fixtures/observability-app';
import { redisUrl, uniquePrefix } from '../utils/redis';

/** The data points of a metric as [attributes, value] (sums) or [attributes, count] (histograms). */
function points(metric: MetricData | undefined): Array<[Record<string, unknown>, number]> {
  if (!metric) return [];
  return metric.dataPoints.map((p) => {
    const value = p.value as number | { count: number };
    return [p.attributes as Record<string, unknown>, typeof value === 'number' ? value : value.count];
  });
}

describe.each(ADAPTERS)('metrics through the OpenTelemetry API (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const events: SecurityEvent[] = [];
  const meter = inMemoryMeter();

  beforeAll(async () => {
    ({ app, url } = await bootApp(
      adapter,
      observabilityApp(events, {
        storage: { type: 'redis', url: redisUrl(), keyPrefix: uniquePrefix(`metrics-${adapter}`) },
        metrics: { meterProvider: meter.provider },
      }) as never,
    ));
  });
  afterAll(async () => {
    await app.close();
    await meter.shutdown();
  });

  const call = (method: string, path: string, init: { token?: string; body?: unknown; key?: string } = {}) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
        ...(init.key ? { 'Idempotency-Key': init.key } : {}),
        ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }).then((r) => r.status);

  it('counts refusals by code and route template (never the raw path), 429s by policy', async () => {
    expect(await call('GET', '/obs/me')).toBe(401);
    const admin = (await app.get(TokenService).issue({ id: 'alice', roles: ['admin'] })).accessToken;
    expect(await call('DELETE', '/obs/documents/missing', { token: admin })).toBe(404);
    expect(await call('DELETE', '/obs/documents/d-9', { token: admin })).toBe(204);
    for (let i = 0; i < 4; i++) await call('GET', '/obs/limited');
    const metrics = await meter.collect();
    const refused = points(metrics.get('rampart.requests.refused'));
    expect(refused).toEqual(
      expect.arrayContaining([
        [{ code: 'AUTHENTICATION_REQUIRED', status: 401, route: '/obs/me' }, 1],
        [{ code: 'NOT_FOUND', status: 404, route: '/obs/documents/:id' }, 1],
        [{ code: 'RATE_LIMITED', status: 429, route: '/obs/limited' }, 2],
      ]),
    );
    expect(points(metrics.get('rampart.rate_limit.refused'))).toEqual([[{ policy: 'tight' }, 2]]);
    // No label carries a user id, a token or a raw path with an id.
    const labels = JSON.stringify([...metrics.values()].map((m) => m.dataPoints.map((p) => p.attributes)));
    expect(labels).not.toMatch(/alice|missing|d-9|eyJ/);
  });

  it('counts idempotent replays and conflicts, refresh reuse, and times storage round trips', async () => {
    const body = { title: 'x' };
    expect(await call('POST', '/obs/payments', { key: 'k-1', body })).toBe(201);
    expect(await call('POST', '/obs/payments', { key: 'k-1', body })).toBe(201);
    expect(await call('POST', '/obs/payments', { key: 'k-1', body: { title: 'other' } })).toBe(422);
    const tokens = app.get(TokenService);
    const first = await tokens.issue({ id: 'bob' });
    const second = await tokens.refresh(first.refreshToken);
    await tokens.refresh(second.refreshToken); // past the grace of the first rotation
    await expect(tokens.refresh(first.refreshToken)).rejects.toThrow();
    const metrics = await meter.collect();
    expect(points(metrics.get('rampart.idempotency.requests'))).toEqual(
      expect.arrayContaining([
        [{ result: 'replay' }, 1],
        [{ result: 'mismatch' }, 1],
      ]),
    );
    expect(points(metrics.get('rampart.tokens.refresh_reuse'))).toEqual([[{}, 1]]);
    const storage = points(metrics.get('rampart.storage.duration'));
    expect(storage.length).toBeGreaterThan(0);
    for (const [attributes, count] of storage) {
      expect(Object.keys(attributes).sort()).toEqual(['operation', 'outcome']);
      expect(count).toBeGreaterThan(0);
    }
    expect(metrics.get('rampart.storage.duration')?.descriptor.unit).toBe('s');
  });
});
