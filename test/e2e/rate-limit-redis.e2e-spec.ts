import { type CanActivate, Controller, Get, Injectable, Module, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Public, SecurityModule, SkipRateLimit, type SecurityEvent, type SecurityModuleOptions } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { clusterStorageOptions, REDIS_TARGETS, redisUrl, uniquePrefix } from '../utils/redis';
import { spawnRedis, type SpawnedRedis } from '../fixtures/redis-server';
import { graphqlFixture } from '../fixtures/graphql/graphql-fixture.module';
import { activeMs, timed as measured, timeoutBound } from '../fixtures/time-bound';

/**
 * Windows are aligned on the clock: waits for the next window when fewer than `marginMs` of this
 * one are left, so a burst starts well inside one window and its counts are exact.
 */
async function insideWindow(windowMs: number, marginMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await sleep(left + 100);
}

@Public()
@Controller('rl')
class PingController {
  @Get('ping')
  ping() {
    return { ok: true };
  }
}

function appModule(options: SecurityModuleOptions) {
  @Module({ imports: [SecurityModule.forRoot(options)], controllers: [PingController] })
  class RedisRateLimitModule {}
  return RedisRateLimitModule;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request, with the time it ran while this process could run (stalls from load taken out). */
async function timed(url: string, ip?: string): Promise<{ status: number; ms: number }> {
  const call = await measured(async () => {
    const res = await fetch(url, ip ? { headers: { 'X-Forwarded-For': ip } } : {});
    await res.arrayBuffer();
    return res.status;
  });
  if (call.error) throw call.error;
  return { status: call.value as number, ms: activeMs(call) };
}

const targets = ADAPTERS.flatMap((adapter) => REDIS_TARGETS.map((target) => [adapter, target] as const));

describe.each(targets)('rate limiting on shared Redis (%s, %s)', (adapter, target) => {
  it('two instances sharing one Redis admit exactly `limit` requests per window between them', async () => {
    const keyPrefix = uniquePrefix(`rl-shared-${adapter}`);
    // On the cluster, through storage.cluster: each instance connects its own ioredis Cluster.
    // Redis is healthy here: a generous timeout, so 120 concurrent requests on a busy machine never
    // turn a slow reply into the per-instance insurance limiter (which would admit more).
    const commandTimeoutMs = 5_000;
    const options: SecurityModuleOptions = {
      storage:
        target === 'cluster'
          ? { ...clusterStorageOptions(`rl-shared-${adapter}`, commandTimeoutMs), keyPrefix }
          : { type: 'redis', url: redisUrl(), keyPrefix, commandTimeoutMs },
      auth: { enabled: false },
      events: { logger: false },
      rateLimit: { maxRequests: 25, windowSeconds: 3_600, escalation: { enabled: false } },
    };
    const a = await bootApp(adapter, appModule(options));
    const b = await bootApp(adapter, appModule(options));
    try {
      // A burst that straddles a window boundary may admit a few more (the documented estimate
      // over the previous window): start it well inside one window.
      await insideWindow(3_600_000, 60_000);
      const results = await Promise.all(
        Array.from({ length: 120 }, (_, i) => timed(`${i % 2 ? a.url : b.url}/rl/ping`)),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(25);
      expect(statuses.filter((s) => s === 429)).toHaveLength(95);
    } finally {
      await a.app.close();
      await b.app.close();
    }
  }, 120_000);
});

describe.each(targets)('the edge IP limit on shared Redis (%s, %s)', (adapter, target) => {
  it('two instances admit exactly the edge limit between them, on known and unknown routes', async () => {
    const keyPrefix = uniquePrefix(`rl-edge-${adapter}`);
    const commandTimeoutMs = 5_000;
    const options: SecurityModuleOptions = {
      storage:
        target === 'cluster'
          ? { ...clusterStorageOptions(`rl-edge-${adapter}`, commandTimeoutMs), keyPrefix }
          : { type: 'redis', url: redisUrl(), keyPrefix, commandTimeoutMs },
      auth: { enabled: false },
      events: { logger: false },
      rateLimit: { maxRequests: 10_000, windowSeconds: 3_600, edge: { limit: 25, windowSeconds: 3_600 } },
    };
    const a = await bootApp(adapter, appModule(options));
    const b = await bootApp(adapter, appModule(options));
    try {
      await insideWindow(3_600_000, 60_000);
      const results = await Promise.all(
        Array.from({ length: 120 }, (_, i) => timed(`${i % 2 ? a.url : b.url}/rl/${i % 3 ? 'ping' : 'nope'}`)),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s !== 429)).toHaveLength(25);
      expect(statuses.filter((s) => s === 429)).toHaveLength(95);
    } finally {
      await a.app.close();
      await b.app.close();
    }
  }, 120_000);
});

describe.each(ADAPTERS)('Redis round trips (%s)', (adapter) => {
  it('costs one script call per request however many policies apply', async () => {
    const redis = await spawnRedis();
    const { app, url } = await bootApp(
      adapter,
      appModule({
        storage: { type: 'redis', url: redis.url, keyPrefix: 'rt:', commandTimeoutMs: 1_000 },
        auth: { enabled: false },
        events: { logger: false },
        rateLimit: {
          // The edge IP limit is one more script call per request, before routing (see rate-limit-edge).
          edge: false,
          policies: {
            second: { limit: 1_000, windowSeconds: 1 },
            minute: { limit: 1_000, windowSeconds: 60 },
            hour: { limit: 1_000, windowSeconds: 3600 },
          },
        },
      }),
    );
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    try {
      await timed(`${url}/rl/ping`); // first call may load the script (NOSCRIPT → EVAL)
      await admin.config('RESETSTAT');
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${url}/rl/ping`);
        expect(res.headers.get('ratelimit-policy')).toBe(
          '"second";q=1000;w=1, "minute";q=1000;w=60, "hour";q=1000;w=3600',
        );
      }
      const stats = await admin.info('commandstats');
      const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      expect(calls('evalsha')).toBe(10);
      expect(calls('eval') + calls('mget')).toBe(0);
      // Redis also counts the commands a script runs: exactly one GET and one SET per policy, all
      // inside the one EVALSHA (any separate command from the app would add to these).
      expect([calls('get'), calls('set')]).toEqual([30, 30]);
    } finally {
      admin.disconnect();
      await app.close();
      await redis.stop();
    }
  });
});

describe.each(ADAPTERS)('Redis round trips with the edge IP limit (%s)', (adapter) => {
  // Fastify routes before the edge runs: once the IP guard has run on a route, the edge decides the
  // route's policies after its own key in the same script. Express's edge runs before routing.
  const perRequest = adapter === 'fastify' ? 1 : 2;
  it(`costs ${perRequest} script call(s) per guarded request`, async () => {
    const redis = await spawnRedis();
    const { app, url } = await bootApp(
      adapter,
      appModule({
        storage: { type: 'redis', url: redis.url, keyPrefix: 'rte:', commandTimeoutMs: 1_000 },
        auth: { enabled: false },
        events: { logger: false },
        rateLimit: { maxRequests: 1_000, edge: { limit: 1_000, windowSeconds: 60 } },
      }),
    );
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    try {
      await insideWindow(60_000, 10_000);
      // The first request teaches the edge the route (two calls); a script may be loaded on first use.
      await timed(`${url}/rl/ping`);
      await timed(`${url}/rl/ping`);
      await admin.config('RESETSTAT');
      const remaining: string[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${url}/rl/ping`);
        expect(res.headers.get('ratelimit-policy')).toBe('"default";q=1000;w=60');
        remaining.push(/;r=(\d+)/.exec(res.headers.get('ratelimit') ?? '')?.[1] ?? '');
      }
      // Exact counts either way: the route's budget goes down by one per request, from 1000 - 2.
      expect(remaining).toEqual(Array.from({ length: 10 }, (_, i) => String(997 - i)));
      const stats = await admin.info('commandstats');
      const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      expect(calls('evalsha')).toBe(10 * perRequest);
      expect(calls('eval')).toBe(0);
      // One GET and one SET per key and request, whether in one script or two.
      expect([calls('get'), calls('set')]).toEqual([20, 20]);
      const keys = await admin.keys('rte:*');
      expect(keys.sort()).toEqual(['rte:{rl:127.0.0.1}:e:edge', 'rte:{rl:127.0.0.1}:p:default']);
      const edge = await admin.get('rte:{rl:127.0.0.1}:e:edge');
      expect(edge?.split(',')[1]).toBe('12');
    } finally {
      admin.disconnect();
      await app.close();
      await redis.stop();
    }
  });
});

/** Handler runs of the routes below, per test. */
const runs = { post: 0, get: 0 };

/** Routes the IP guard has nothing to decide on: only the edge IP limit applies. */
@Public()
@SkipRateLimit()
@Controller('edge-first')
class EdgeFirstController {
  @Post()
  post() {
    runs.post++;
    return { ok: true };
  }

  @Get()
  get() {
    runs.get++;
    return { ok: true };
  }
}

/** An application's own global guard with an async gap before it admits (as a store read has). */
@Injectable()
class SlowAppGuard implements CanActivate {
  async canActivate(): Promise<boolean> {
    await new Promise((resolve) => setImmediate(resolve));
    return true;
  }
}

function edgeFirstModule(options: SecurityModuleOptions) {
  @Module({
    imports: [SecurityModule.forRoot(options)],
    controllers: [EdgeFirstController],
    providers: [{ provide: APP_GUARD, useClass: SlowAppGuard }],
  })
  class EdgeFirstModule {}
  return EdgeFirstModule;
}

const EDGE_FIRST_LIMIT = 3;

/** The edge IP limit on Redis: limit 3 a minute, and nothing else limits the routes. */
const edgeFirstOptions = (adapter: string, url = redisUrl(), failOpen = true): SecurityModuleOptions => ({
  storage: { type: 'redis', url, keyPrefix: uniquePrefix(`rl-edge-first-${adapter}`), commandTimeoutMs: 2_000 },
  auth: { enabled: false },
  events: { logger: false },
  rateLimit: { failOpen, edge: { limit: EDGE_FIRST_LIMIT, windowSeconds: 60 } },
});

/** A bodyless POST with a Content-Type (which a parser still reads), as a client may send. */
const bodylessPost = (url: string) =>
  fetch(`${url}/edge-first`, { method: 'POST', headers: { 'content-type': 'text/plain' } });

describe.each(ADAPTERS)('the edge IP limit decides before anything else runs, on Redis (%s)', (adapter) => {
  beforeEach(() => {
    runs.post = 0;
    runs.get = 0;
  });

  it('admits exactly the limit of bodyless POSTs behind an async app guard, and refuses the rest', async () => {
    const { app, url } = await bootApp(adapter, edgeFirstModule(edgeFirstOptions(adapter)));
    try {
      await insideWindow(60_000, 10_000);
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await bodylessPost(url)).status);
      expect(statuses).toEqual([201, 201, 201, 429, 429, 429, 429, 429, 429, 429]);
      expect(runs.post).toBe(EDGE_FIRST_LIMIT);
    } finally {
      await app.close();
    }
  });

  it('refuses GETs of a route it has already seen at the limit', async () => {
    const { app, url } = await bootApp(adapter, edgeFirstModule(edgeFirstOptions(adapter)));
    try {
      await insideWindow(60_000, 10_000);
      expect((await fetch(`${url}/edge-first`)).status).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${url}/edge-first`)).status);
      expect(statuses).toEqual([200, 200, 429, 429, 429]);
      expect(runs.get).toBe(EDGE_FIRST_LIMIT);
    } finally {
      await app.close();
    }
  });

  it('answers 503 to every request under failOpen: false while Redis is down, and runs no handler', async () => {
    const redis = await spawnRedis();
    const { app, url } = await bootApp(adapter, edgeFirstModule(edgeFirstOptions(adapter, redis.url, false)));
    try {
      expect((await bodylessPost(url)).status).toBe(201);
      await redis.stop();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await bodylessPost(url)).status);
      statuses.push((await fetch(`${url}/edge-first`)).status);
      expect(statuses).toEqual([503, 503, 503, 503, 503, 503]);
      expect(runs).toEqual({ post: 1, get: 0 });
    } finally {
      await app.close();
      await redis.stop();
    }
  });

  it('refuses GraphQL GETs at the limit, whether or not they run a guarded resolver', async () => {
    // The fixture's own authentication (JWT) stays: `hello` is public.
    const { storage, events, rateLimit } = edgeFirstOptions(adapter);
    const { app, url } = await bootApp(adapter, graphqlFixture(adapter, { storage, events, rateLimit }));
    // CSRF prevention (Apollo on Express, Mercurius on Fastify) wants one of these on a GET.
    const headers = { 'apollo-require-preflight': '1', 'mercurius-require-preflight': '1' };
    const get = (query: string) => fetch(`${url}/graphql?query=${encodeURIComponent(query)}`, { headers });
    try {
      await insideWindow(60_000, 10_000);
      expect((await get('{ hello }')).status).toBe(200);
      expect((await get('{ __typename }')).status).toBe(200);
      expect((await get('{ __typename }')).status).toBe(200);
      const refused = [
        await get('{ __typename }'),
        await get('{ __schema { queryType { name } } }'),
        await get('{ nope }'),
        await get('{ hello }'),
      ];
      expect(refused.map((r) => r.status)).toEqual([429, 429, 429, 429]);
      expect(((await refused[0].json()) as { code: string }).code).toBe('RATE_LIMITED');
    } finally {
      await app.close();
    }
  });
});

describe.each(ADAPTERS)('rate limiting when Redis goes away (%s)', (adapter) => {
  let redis: SpawnedRedis;
  const events: SecurityEvent[] = [];
  let apps: INestApplication[] = [];

  beforeAll(async () => {
    redis = await spawnRedis();
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    await redis.stop();
  });

  /**
   * The command timeout decides only while Redis is paused (test 2); in the shared phases around
   * the outage a healthy reply must never lose a race against it, which a busy machine (Redis
   * itself not scheduled for a while) can make a 100 ms timeout do: the insurance limiter would
   * then count per instance, and a fail-closed instance would answer 503.
   */
  const options = (failOpen: boolean, commandTimeoutMs: number): SecurityModuleOptions => ({
    storage: { type: 'redis', url: redis.url, keyPrefix: uniquePrefix(`rl-outage-${adapter}`), commandTimeoutMs },
    trustProxy: ['loopback'],
    auth: { enabled: false },
    events: { logger: false, sinks: [(e) => events.push(e)] },
    rateLimit: { maxRequests: 4, windowSeconds: 60, failOpen, escalation: { enabled: false } },
  });

  it('keeps answering under the policy while Redis is down, and restores shared limits when it is back', async () => {
    // A stopped Redis refuses connections: calls fail at once, they never wait for the timeout,
    // so it can be generous (asserted below: nobody waited for it).
    const timeoutMs = 2_000;
    const open = await bootApp(adapter, appModule(options(true, timeoutMs)));
    const twin = await bootApp(
      adapter,
      appModule({ ...options(true, timeoutMs), storage: open.app.get('SECURITY:OPTIONS').storage }),
    );
    const closed = await bootApp(adapter, appModule(options(false, timeoutMs)));
    apps.push(open.app, twin.app, closed.app);

    expect((await timed(`${open.url}/rl/ping`, '192.0.2.1')).status).toBe(200);
    expect((await timed(`${closed.url}/rl/ping`, '192.0.2.1')).status).toBe(200);

    await redis.stop();
    // failOpen: the in-memory insurance limiter still applies the limit, per instance.
    const during = [];
    for (let i = 0; i < 6; i++) during.push(await timed(`${open.url}/rl/ping`, '192.0.2.2'));
    expect(during.map((r) => r.status)).toEqual([200, 200, 200, 200, 429, 429]);
    expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(timeoutMs);
    // failClosed: 503, fast, with the project's error shape.
    const refused = await fetch(`${closed.url}/rl/ping`, { headers: { 'X-Forwarded-For': '192.0.2.2' } });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('STORAGE_UNAVAILABLE');
    expect(events.filter((e) => e.type === 'STORAGE_UNAVAILABLE').length).toBeGreaterThanOrEqual(2);

    redis = await spawnRedis(redis.port);
    // Wait for the clients to reconnect (retry strategy ≤ 1 s) and the probe interval (1 s).
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline && !events.some((e) => e.type === 'STORAGE_RECOVERED')) {
      await timed(`${open.url}/rl/ping`, '192.0.2.250');
      await sleep(200);
    }
    expect(events.some((e) => e.type === 'STORAGE_RECOVERED')).toBe(true);
    await timed(`${twin.url}/rl/ping`, '192.0.2.251');
    // Shared again: both instances draw from one budget of 4.
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await timed(`${i % 2 ? open.url : twin.url}/rl/ping`, '192.0.2.3')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect((await timed(`${closed.url}/rl/ping`, '192.0.2.3')).status).toBe(200);
  });

  it('answers within the command timeout when Redis stops answering (CLIENT PAUSE), under both policies', async () => {
    // The pause holds Redis for far longer than the test: every request waits the timeout once.
    const timeoutMs = 500;
    const open = await bootApp(adapter, appModule(options(true, timeoutMs)));
    const closed = await bootApp(adapter, appModule(options(false, timeoutMs)));
    apps.push(open.app, closed.app);
    expect((await timed(`${open.url}/rl/ping`, '192.0.2.10')).status).toBe(200);
    expect((await timed(`${closed.url}/rl/ping`, '192.0.2.10')).status).toBe(200);
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    const seen = events.length;
    // WRITE mode holds every script (EVALSHA) while the admin connection can still UNPAUSE (in
    // finally): far longer than the test, so a slow machine cannot outlive the pause.
    await admin.call('CLIENT', 'PAUSE', '600000', 'WRITE');
    try {
      const during = [];
      for (let i = 0; i < 6; i++) during.push(await timed(`${open.url}/rl/ping`, '192.0.2.11'));
      const refused = await timed(`${closed.url}/rl/ping`, '192.0.2.11');
      // failOpen: the insurance limiter decides (limit 4) without waiting on Redis; failClosed: 503.
      expect(during.map((r) => r.status)).toEqual([200, 200, 200, 200, 429, 429]);
      expect(refused.status).toBe(503);
      // Bounded by commandTimeoutMs: nobody waited for the pause.
      expect(Math.max(refused.ms, ...during.map((r) => r.ms))).toBeLessThanOrEqual(timeoutBound(timeoutMs));
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.disconnect();
    }
    const unavailable = events.slice(seen).filter((e) => e.type === 'STORAGE_UNAVAILABLE');
    expect(unavailable.map((e) => e.details?.policy).sort()).toEqual(['fail_closed', 'fail_open_insurance_limiter']);
    // Redis answers again: after the probe interval both instances decide on it again.
    const deadline = Date.now() + 8_000;
    const recovered = () => events.slice(seen).filter((e) => e.type === 'STORAGE_RECOVERED').length;
    while (Date.now() < deadline && recovered() < 2) {
      await timed(`${open.url}/rl/ping`, '192.0.2.250');
      await timed(`${closed.url}/rl/ping`, '192.0.2.250');
      await sleep(200);
    }
    expect(recovered()).toBe(2);
    expect((await timed(`${closed.url}/rl/ping`, '192.0.2.12')).status).toBe(200);
  });
});
