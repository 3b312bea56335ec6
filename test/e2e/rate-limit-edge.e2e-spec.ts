import { Body, Controller, Get, Module, Post, Version, VersioningType, type DynamicModule } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import {
  Public,
  RateLimit,
  SecurityModule,
  SkipRateLimit,
  type SecurityEvent,
  type SecurityStorage,
} from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { createTestRedisStorage } from '../utils/redis';

const EDGE_LIMIT = 20;
/** Every adapter on each store. */
const ADAPTER_STORES = ADAPTERS.flatMap((adapter) => [[adapter, 'memory'] as const, [adapter, 'redis'] as const]);
const ORIGIN = 'https://app.example.com';

@Public()
@Controller('edge-rl')
class EdgeController {
  @Get()
  ok() {
    return { ok: true };
  }

  @SkipRateLimit()
  @Get('skip')
  skip() {
    return { ok: true };
  }

  @Post()
  post(@Body() body: unknown) {
    return { body };
  }
}

interface StopRequest {
  headers: Record<string, unknown>;
}
interface StopResponse {
  statusCode: number;
  end(): void;
}

/**
 * Answers before any guard runs when the request asks for it (`X-Stop`), as an app's own code
 * may: on Express a middleware (after the edge, which runs first), on Fastify a `preHandler` hook.
 */
function stopBeforeGuards(app: INestApplication): void {
  const instance = app.getHttpAdapter().getInstance() as {
    addHook?(
      name: 'preHandler',
      hook: (req: StopRequest, reply: { code(n: number): { send(): void } }, done: () => void) => void,
    ): void;
  };
  if (instance.addHook) {
    instance.addHook('preHandler', (req, reply, done) =>
      req.headers['x-stop'] === undefined ? done() : reply.code(204).send(),
    );
  } else {
    app.use((req: StopRequest, res: StopResponse, next: () => void) => {
      if (req.headers['x-stop'] === undefined) return next();
      res.statusCode = 204;
      res.end();
    });
  }
}

function appModule(storage: SecurityStorage | undefined, events: SecurityEvent[]): DynamicModule {
  @Module({})
  class EdgeRateLimitModule {}
  return {
    module: EdgeRateLimitModule,
    imports: [
      SecurityModule.forRoot({
        storage: storage ?? { type: 'memory' },
        events: { logger: false, sinks: [(e) => events.push(e)] },
        cors: { origins: [ORIGIN] },
        rateLimit: { maxRequests: 10_000, edge: { limit: EDGE_LIMIT, windowSeconds: 60 } },
      }),
    ],
    controllers: [EdgeController],
  };
}

const PREFLIGHT = { origin: ORIGIN, 'access-control-request-method': 'POST' };

describe.each(ADAPTER_STORES)(
  'the edge IP limit covers every request, routed or not (%s, %s store)',
  (adapter, kind) => {
    let app: INestApplication;
    let url: string;
    let storage: SecurityStorage | undefined;
    const events: SecurityEvent[] = [];

    beforeEach(async () => {
      if (kind === 'redis') storage = await createTestRedisStorage(`edge-rl-${adapter}`);
      ({ app, url } = await bootApp(adapter, appModule(storage, events) as never, undefined, stopBeforeGuards));
    });
    afterEach(async () => {
      await app.close();
      await storage?.close();
      events.length = 0;
    });

    async function expectEdge429(res: Response): Promise<void> {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.headers.get('ratelimit-policy')).toBe(`"edge";q=${EDGE_LIMIT};w=60`);
      expect(res.headers.get('ratelimit')).toMatch(/^"edge";r=0;t=\d+$/);
      expect(res.headers.get('content-security-policy')).toBeTruthy();
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        statusCode: 429,
        code: 'RATE_LIMITED',
        message: 'Too many requests, please retry later',
      });
      expect(body.requestId).toBe(res.headers.get('x-request-id'));
    }

    it('a flood of 404s gets 429, and then so do the real routes', async () => {
      for (let i = 0; i < EDGE_LIMIT; i++) expect((await fetch(`${url}/nope/${i}`)).status).toBe(404);
      await expectEdge429(await fetch(`${url}/nope/more`));
      await expectEdge429(await fetch(`${url}/edge-rl`));
      expect(events.filter((e) => e.type === 'RATE_LIMITED')).toHaveLength(1);
      expect(events.find((e) => e.type === 'RATE_LIMITED')?.details).toMatchObject({
        tracker: 'ip',
        policies: ['edge'],
      });
    });

    it('a flood of preflights gets 429', async () => {
      for (let i = 0; i < EDGE_LIMIT; i++) {
        const res = await fetch(`${url}/edge-rl`, { method: 'OPTIONS', headers: PREFLIGHT });
        expect(res.status).toBe(204);
      }
      await expectEdge429(await fetch(`${url}/edge-rl`, { method: 'OPTIONS', headers: PREFLIGHT }));
    });

    // The edge decides every request up front, whatever answers it later (the route's guards, the
    // app's own code, a body parser): each of these counts, and the refusal is the edge's 429.
    it('a flood of a guarded route gets the edge 429 (its headers, not the route policy)', async () => {
      for (let i = 0; i < EDGE_LIMIT; i++) expect((await fetch(`${url}/edge-rl`)).status).toBe(200);
      await expectEdge429(await fetch(`${url}/edge-rl`));
      await expectEdge429(await fetch(`${url}/nope`));
      expect(events.filter((e) => e.type === 'RATE_LIMITED')).toHaveLength(1);
    });

    it('a flood of a @SkipRateLimit() route gets 429', async () => {
      for (let i = 0; i < EDGE_LIMIT; i++) expect((await fetch(`${url}/edge-rl/skip`)).status).toBe(200);
      await expectEdge429(await fetch(`${url}/edge-rl/skip`));
    });

    it('requests the app answers before any guard count', async () => {
      expect((await fetch(`${url}/edge-rl`)).status).toBe(200);
      for (let i = 1; i < EDGE_LIMIT; i++) {
        expect((await fetch(`${url}/edge-rl`, { headers: { 'x-stop': '1' } })).status).toBe(204);
      }
      await expectEdge429(await fetch(`${url}/edge-rl`));
    });

    it('a flood of bodies the parser refuses gets 429', async () => {
      const bad = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' };
      expect((await fetch(`${url}/edge-rl`, { ...bad, body: '{}' })).status).toBe(201);
      for (let i = 1; i < EDGE_LIMIT; i++) expect((await fetch(`${url}/edge-rl`, bad)).status).toBe(400);
      await expectEdge429(await fetch(`${url}/edge-rl`, bad));
    });
  },
);

@Public()
@Controller('route-rl')
class RouteLimitedController {
  @RateLimit({ default: { limit: 3, windowSeconds: 60 } })
  @Get()
  limited() {
    return { ok: true };
  }

  // Two handlers on one path (a version constraint each: two Fastify routes): the edge must not
  // decide the first one's policies for the second.
  @RateLimit({ default: { limit: 3, windowSeconds: 60 } })
  @Version('1')
  @Get('versioned')
  v1() {
    return { v: 1 };
  }

  @SkipRateLimit()
  @Version('2')
  @Get('versioned')
  v2() {
    return { v: 2 };
  }
}

function routeLimitModule(storage: SecurityStorage | undefined): DynamicModule {
  @Module({})
  class RouteLimitModule {}
  return {
    module: RouteLimitModule,
    imports: [
      SecurityModule.forRoot({
        storage: storage ?? { type: 'memory' },
        events: { logger: false },
        rateLimit: { maxRequests: 10_000, edge: { limit: 1_000, windowSeconds: 60 } },
      }),
    ],
    controllers: [RouteLimitedController],
  };
}

/** The `r=` of a `RateLimit` header item. */
function remaining(res: Response): number | undefined {
  const match = /;r=(\d+)/.exec(res.headers.get('ratelimit') ?? '');
  return match ? Number(match[1]) : undefined;
}

describe.each(ADAPTER_STORES)("a route's IP policies beside the edge IP limit (%s, %s store)", (adapter, kind) => {
  let app: INestApplication;
  let url: string;
  let storage: SecurityStorage | undefined;

  beforeEach(async () => {
    if (kind === 'redis') storage = await createTestRedisStorage(`route-rl-${adapter}`);
    ({ app, url } = await bootApp(adapter, routeLimitModule(storage) as never, undefined, async (a) => {
      a.enableVersioning({ type: VersioningType.HEADER, header: 'x-api-version' });
      stopBeforeGuards(a);
    }));
  });
  afterEach(async () => {
    await app.close();
    await storage?.close();
  });

  it('counts each request once in the route policy, and refuses with the route policy', async () => {
    // On Fastify with Redis the edge decides the route's policies from the second request on (it
    // learns the route from the first): the counts are the same as the IP guard's own.
    const seen: Array<number | undefined> = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/route-rl`);
      expect(res.status).toBe(200);
      seen.push(remaining(res));
    }
    expect(seen).toEqual([2, 1, 0]);
    const refused = await fetch(`${url}/route-rl`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toBe('"default";q=3;w=60');
    expect(((await refused.json()) as { code: string }).code).toBe('RATE_LIMITED');
  });

  it('a request answered before the guards counts in the route policy only where the edge decided it', async () => {
    expect(remaining(await fetch(`${url}/route-rl`))).toBe(2);
    expect((await fetch(`${url}/route-rl`, { headers: { 'x-stop': '1' } })).status).toBe(204);
    // Fastify on Redis: the edge counted the stopped request in the route's policy (over-counting,
    // never under-counting); elsewhere the guard alone decides the route's policies.
    expect(remaining(await fetch(`${url}/route-rl`))).toBe(adapter === 'fastify' && kind === 'redis' ? 0 : 1);
  });

  it('two handlers behind one path (a version each): neither is counted in the other’s policies', async () => {
    const v1 = { 'x-api-version': '1' };
    const v2 = { 'x-api-version': '2' };
    expect(remaining(await fetch(`${url}/route-rl/versioned`, { headers: v1 }))).toBe(2);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${url}/route-rl/versioned`, { headers: v2 });
      expect(await res.json()).toEqual({ v: 2 });
      expect(res.headers.get('ratelimit')).toBeNull();
    }
    expect(remaining(await fetch(`${url}/route-rl/versioned`, { headers: v1 }))).toBe(1);
  });
});
