import type { INestApplication } from '@nestjs/common';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { inMemoryMeter } from '../fixtures/in-memory-meter';
import { TokenService, type SecurityEvent } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { observabilityApp } from '../fixtures/observability-app';
import { gql } from '../fixtures/graphql/graphql-client';
import { graphqlFixture } from '../fixtures/graphql/graphql-fixture.module';
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

describe.each(ADAPTERS)('refusals at the HTTP edge are counted too (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const meter = inMemoryMeter();

  beforeAll(async () => {
    ({ app, url } = await bootApp(
      adapter,
      observabilityApp([], {
        rateLimit: { edge: { limit: 6, windowSeconds: 60 } },
        cors: { origins: ['https://app.example.com'] },
        validation: { maxPayloadBytes: 64 },
        metrics: { meterProvider: meter.provider },
      }) as never,
    ));
  });
  afterAll(async () => {
    await app.close();
    await meter.shutdown();
  });

  it('labels each with its code, its status and the route template when known, never the raw path', async () => {
    // 413 before the body is read, on a known route and on an unknown one
    const big = JSON.stringify({ title: 'x'.repeat(100) });
    const post = (path: string) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: big });
    expect((await post('/obs/notes')).status).toBe(413);
    expect((await post('/nowhere/n-123')).status).toBe(413);
    // a path that does not percent-decode
    expect((await fetch(`${url}/obs/documents/%ff`)).status).toBe(400);
    // a CORS preflight from an origin the policy does not list
    const preflight = await fetch(`${url}/obs/documents/d-7`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'DELETE' },
    });
    expect(preflight.status).toBe(403);
    // the edge IP limit (6): 4 requests so far, 2 more reach the route, the next ones are refused
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${url}/obs/documents/d-8`, { method: 'DELETE' })).status);
    expect(statuses).toEqual([401, 401, 429, 429, 429]);

    const refused = points((await meter.collect()).get('rampart.requests.refused'));
    // Fastify routes before its onRequest hook, so the edge knows the template; Express routes after it.
    const template = (route: string) => (adapter === 'fastify' ? route : 'unmatched');
    expect(refused).toEqual(
      expect.arrayContaining([
        [{ code: 'PAYLOAD_TOO_LARGE', status: 413, route: template('/obs/notes') }, adapter === 'fastify' ? 1 : 2],
        [{ code: 'BAD_REQUEST', status: 400, route: 'unmatched' }, 1],
        [{ code: 'CORS_ORIGIN_DENIED', status: 403, route: 'unmatched' }, 1],
        [{ code: 'RATE_LIMITED', status: 429, route: template('/obs/documents/:id') }, 3],
      ]),
    );
    if (adapter === 'fastify') {
      expect(refused).toEqual(
        expect.arrayContaining([[{ code: 'PAYLOAD_TOO_LARGE', status: 413, route: 'unmatched' }, 1]]),
      );
    }
    const labels = JSON.stringify(refused);
    expect(labels).not.toMatch(/nowhere|n-123|d-7|d-8|%ff/);
    expect(points((await meter.collect()).get('rampart.rate_limit.refused'))).toEqual([[{ policy: 'edge' }, 3]]);
  });
});

describe.each(ADAPTERS)('GraphQL cost spent (%s)', (adapter) => {
  it('counts the cost the budget admitted, by operation type, and not the refused operation', async () => {
    const meter = inMemoryMeter();
    const { app, url } = await bootApp(
      adapter,
      graphqlFixture(adapter, {
        graphql: { budget: { points: 1000, windowSec: 60 }, maxCost: 1000 },
        metrics: { meterProvider: meter.provider },
      }),
    );
    try {
      // `heavy` costs 400: two fit in the budget of 1000, the third is refused.
      for (let i = 0; i < 3; i++) await gql(url, '{ heavy }');
      const metrics = await meter.collect();
      expect(points(metrics.get('rampart.graphql.cost'))).toEqual([[{ operation: 'query' }, 800]]);
    } finally {
      await app.close();
      await meter.shutdown();
    }
  });
});
