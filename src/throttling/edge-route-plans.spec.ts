import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { getSecurityState } from '../core/context/request-state';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import { SecurityEvents } from '../core/events/security-events.service';
import type { EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import { resolveSecurityOptions } from '../security.options';
import { createTestRedisStorage } from '../../test/utils/redis';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { SecurityStorage } from '../storage/security-storage.interface';
import { EdgeRateLimitEdge } from './edge-rate-limit.edge';
import { EdgeRoutePlans } from './edge-route-plans';
import type { PolicySet } from './policy-set.util';
import { RateLimit } from './rate-limit.decorator';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimiterService } from './rate-limiter.service';

const set = (name: string) => ({ policyHeader: name }) as unknown as PolicySet;
/** A Fastify route context (`request.routeOptions.config`): one object per registered route. */
const route = () => ({ url: '/items/:id' });
const on = (method: string, config?: object) => ({ method, routeOptions: { config } });

describe('EdgeRoutePlans', () => {
  it('knows a route once the guard has run on it, by its route context', () => {
    const plans = new EdgeRoutePlans();
    const a = set('a');
    const get = route();
    expect(plans.planFor('GET', get)).toBeUndefined();
    plans.learn(on('GET', get), a);
    expect(plans.planFor('GET', get)).toBe(a);
    // Another registered route with the same template (a version or host constraint, HEAD): unknown.
    expect(plans.planFor('GET', route())).toBeUndefined();
    plans.learn(on('GET', get), a); // the same handler again: unchanged
    expect(plans.planFor('GET', get)).toBe(a);
  });

  it('learns nothing without a Fastify route (Express), and has no plan for a route without IP policies', () => {
    const plans = new EdgeRoutePlans();
    plans.learn({ method: 'GET' }, set('a'));
    plans.learn(on('GET'), set('a'));
    const health = route();
    plans.learn(on('GET', health), null);
    expect(plans.planFor('GET', undefined)).toBeUndefined();
    expect(plans.planFor('GET', health)).toBeUndefined();
  });

  it('never plans a preflight (the CORS step answers it)', () => {
    const plans = new EdgeRoutePlans();
    const all = route();
    plans.learn(on('OPTIONS', all), set('a'));
    expect(plans.planFor('OPTIONS', all)).toBeUndefined();
    plans.learn(on('GET', all), set('a'));
    expect(plans.planFor('OPTIONS', all)).toBeUndefined();
    expect(plans.planFor('GET', all)).toBeDefined();
  });

  it.each([
    ['two policy sets', set('a'), set('b')],
    ['a set, then none', set('a'), null],
    ['none, then a set', null, set('b')],
  ])('two policy sets seen on one route (%s): no plan, for good', (_case, first, second) => {
    const plans = new EdgeRoutePlans();
    const shared = route();
    plans.learn(on('GET', shared), first);
    plans.learn(on('GET', shared), second);
    plans.learn(on('GET', shared), first);
    expect(plans.planFor('GET', shared)).toBeUndefined();
  });
});

class ItemsController {
  @RateLimit({ default: { limit: 2, windowSeconds: 60 } })
  list(): void {}

  other(): void {}
}

/**
 * A module (its edge and its IP guard) per store: an app may import SecurityModule more than once.
 * `Guard` may be a subclass.
 */
function pipeline(storage: SecurityStorage | SecurityStorage[], Guard: typeof RateLimitGuard = RateLimitGuard) {
  const modules = (Array.isArray(storage) ? storage : [storage]).map((store) => {
    const resolved = resolveSecurityOptions({
      events: { logger: false },
      rateLimit: { edge: { limit: 100, windowSeconds: 60 } },
    });
    const events = new SecurityEvents(resolved);
    const limiter = new RateLimiterService(store, resolved, events);
    const o = resolved.rateLimit;
    if (!o.edge) throw new Error('the edge policy is on');
    const edge = new EdgeRateLimitEdge(o, o.edge, () => limiter, events, false);
    const guard = new Guard(resolved, limiter, events, new Reflector(), new RoutePlanCache());
    return { edge, guard, decide: jest.spyOn(limiter, 'decide'), afterEdge: jest.spyOn(limiter, 'decideAfterEdge') };
  });
  const calls = (spy: 'decide' | 'afterEdge') => modules.reduce((n, m) => n + m[spy].mock.calls.length, 0);
  /** One route context per handler, as Fastify registers one route per handler. */
  const contexts = new Map<() => void, object>();
  /** One Fastify request to GET /items, through the edges, then the guards on `handler`. */
  const request = async (handler: () => void = ItemsController.prototype.list, context?: object) => {
    const config = context ?? contexts.get(handler) ?? contexts.set(handler, { url: '/items' }).get(handler);
    const raw: EdgeRequest = { method: 'GET', url: '/items', headers: {}, socket: { remoteAddress: '10.0.0.1' } };
    const headers: Record<string, unknown> = {};
    const res: EdgeResponse = {
      statusCode: 200,
      route: '/items',
      routeContext: config,
      setHeader: (name, value) => (headers[name] = value),
      getHeader: (name) => headers[name],
      removeHeader: (name) => delete headers[name],
      end: () => undefined,
    };
    for (const { edge } of modules) if ((await edge.handle(raw, res)) !== false) throw new Error('the edge answered');
    const req = { raw, method: 'GET', headers: {}, routeOptions: { url: '/items', config } };
    const ctx: ExecutionContext = new ExecutionContextHost([req, res], ItemsController, handler);
    const remaining: string[] = [];
    try {
      for (const { guard } of modules) {
        await guard.canActivate(ctx);
        remaining.push(/;r=(\d+)/.exec(String(headers.RateLimit))?.[1] ?? '');
      }
      return { status: 200, headers, raw, remaining };
    } catch {
      return { status: 429, headers, raw, remaining };
    }
  };
  /** Storage calls so far: `[decide, decideAfterEdge]`, over every module. */
  const counts = () => [calls('decide'), calls('afterEdge')];
  return { request, counts };
}

describe('the edge deciding the IP guard policies of a learned Fastify route (Redis)', () => {
  let storage: SecurityStorage;
  beforeEach(async () => {
    storage = await createTestRedisStorage('edge-route-plans');
  });
  afterEach(() => storage.close());

  it('one storage call per request from the second on, with the guard’s own counts and refusal', async () => {
    const { request, counts } = pipeline(storage);
    expect(await request()).toMatchObject({
      status: 200,
      headers: { RateLimit: expect.stringMatching(/^"default";r=1;t=\d+$/) },
    });
    expect(counts()).toEqual([2, 0]);
    const second = await request();
    expect(second).toMatchObject({
      status: 200,
      headers: { RateLimit: expect.stringMatching(/^"default";r=0;t=\d+$/) },
    });
    // Taken once: nothing of it is left on the request.
    expect(getSecurityState(second.raw).edgeDecided).toEqual([]);
    expect(await request()).toMatchObject({ status: 429, headers: { 'Retry-After': expect.any(Number) } });
    expect(counts()).toEqual([2, 2]);
  });

  it('another route (another context, e.g. another version of the path) is not decided with this one’s policies', async () => {
    const { request, counts } = pipeline(storage);
    await request(); // learns list's route
    for (let i = 0; i < 3; i++) expect((await request(ItemsController.prototype.other)).status).toBe(200);
    // other's first request taught the edge its route too: the next two went in one call each.
    expect(counts()).toEqual([4, 2]);
    expect(await request()).toMatchObject({
      status: 200,
      headers: { RateLimit: expect.stringMatching(/"default";r=0;/) },
    });
  });

  it('a decision for another policy set is not taken: the guard decides, and the route is not planned again', async () => {
    const { request, counts } = pipeline(storage);
    const shared = { url: '/items' };
    await request(ItemsController.prototype.list, shared);
    expect((await request(ItemsController.prototype.other, shared)).status).toBe(200);
    // The edge decided list's policies (a stray count in list's budget); other's guard decided its own.
    expect(counts()).toEqual([3, 1]);
    expect(await request(ItemsController.prototype.list, shared)).toMatchObject({ status: 429 });
    expect(counts()).toEqual([5, 1]);
  });

  it('a subclass of the guard (it may track callers differently) never takes the edge’s decision', async () => {
    class ByTenant extends RateLimitGuard {}
    const { request, counts } = pipeline(storage, ByTenant);
    await request();
    await request();
    expect(counts()).toEqual([4, 0]);
  });
});

describe('two modules, each with its edge and IP guard, on one Fastify app (Redis)', () => {
  let stores: SecurityStorage[];
  beforeEach(async () => {
    stores = [await createTestRedisStorage('edge-route-plans-a'), await createTestRedisStorage('edge-route-plans-b')];
  });
  afterEach(() => Promise.all(stores.map((s) => s.close())));

  it('each guard takes its own module’s decision: every request counts once in each', async () => {
    const { request, counts } = pipeline(stores);
    expect((await request()).remaining).toEqual(['1', '1']);
    expect((await request()).remaining).toEqual(['0', '0']);
    expect(counts()).toEqual([4, 2]);
    expect((await request()).status).toBe(429);
  });
});

describe('the edge and the IP guard on a memory store', () => {
  it('decide apart, synchronously: there is no round trip to save', async () => {
    const { request, counts } = pipeline(new MemorySecurityStorage());
    for (let i = 0; i < 3; i++) await request();
    expect(counts()).toEqual([6, 0]);
  });
});
