import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { getSecurityState } from '../core/context/request-state';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import { SecurityEvents } from '../core/events/security-events.service';
import type { EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import { resolveSecurityOptions } from '../security.options';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import { EdgeRateLimitEdge } from './edge-rate-limit.edge';
import { EdgeRoutePlans } from './edge-route-plans';
import type { PolicySet } from './policy-set.util';
import { RateLimit } from './rate-limit.decorator';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimiterService } from './rate-limiter.service';

const set = (name: string) => ({ policyHeader: name }) as unknown as PolicySet;
const routed = (method: string, url?: string) => ({ method, routeOptions: url === undefined ? undefined : { url } });

describe('EdgeRoutePlans', () => {
  it('knows a route once the guard has run on it, by method and template', () => {
    const plans = new EdgeRoutePlans();
    const a = set('a');
    expect(plans.planFor('GET', '/items/:id')).toBeUndefined();
    plans.learn(routed('GET', '/items/:id'), a);
    expect(plans.planFor('GET', '/items/:id')?.set).toBe(a);
    expect(plans.planFor('DELETE', '/items/:id')).toBeUndefined();
    plans.learn(routed('GET', '/items/:id'), a); // the same handler again: unchanged
    expect(plans.planFor('GET', '/items/:id')?.set).toBe(a);
  });

  it('learns nothing without a Fastify route (Express), and has no plan for a route without IP policies', () => {
    const plans = new EdgeRoutePlans();
    plans.learn(routed('GET'), set('a'));
    plans.learn(routed('GET', '/health'), null);
    expect(plans.planFor('GET', 'undefined')).toBeUndefined();
    expect(plans.planFor('GET', '/health')).toBeUndefined();
  });

  it.each([
    ['two policy sets', set('a'), set('b')],
    ['a set, then none', set('a'), null],
    ['none, then a set', null, set('b')],
  ])('two handlers behind one route (%s): no plan, for good', (_case, first, second) => {
    const plans = new EdgeRoutePlans();
    plans.learn(routed('GET', '/v'), first);
    plans.learn(routed('GET', '/v'), second);
    plans.learn(routed('GET', '/v'), first);
    expect(plans.planFor('GET', '/v')).toBeUndefined();
  });

  it('stops learning past 4,096 routes', () => {
    const plans = new EdgeRoutePlans();
    for (let i = 0; i < 4_100; i++) plans.learn(routed('GET', `/r${i}`), set('a'));
    expect(plans.planFor('GET', '/r4095')).toBeDefined();
    expect(plans.planFor('GET', '/r4096')).toBeUndefined();
  });
});

class ItemsController {
  @RateLimit({ default: { limit: 2, windowSeconds: 60 } })
  list(): void {}

  other(): void {}
}

/** A module, its edge and its IP guard on one memory store; `Guard` may be a subclass. */
function pipeline(Guard: typeof RateLimitGuard = RateLimitGuard) {
  const resolved = resolveSecurityOptions({
    events: { logger: false },
    rateLimit: { edge: { limit: 100, windowSeconds: 60 } },
  });
  const events = new SecurityEvents(resolved);
  const limiter = new RateLimiterService(new MemorySecurityStorage(), resolved, events);
  const o = resolved.rateLimit;
  if (!o.edge) throw new Error('the edge policy is on');
  const edge = new EdgeRateLimitEdge(o, o.edge, () => limiter, events, false);
  const guard = new Guard(resolved, limiter, events, new Reflector(), new RoutePlanCache());
  const decide = jest.spyOn(limiter, 'decide');
  const decideAfterEdge = jest.spyOn(limiter, 'decideAfterEdge');
  /** One Fastify request to GET /items, through the edge, then the guard on `handler`. */
  const request = (handler: () => void = ItemsController.prototype.list) => {
    const raw: EdgeRequest = { method: 'GET', url: '/items', headers: {}, socket: { remoteAddress: '10.0.0.1' } };
    const headers: Record<string, unknown> = {};
    const res: EdgeResponse = {
      statusCode: 200,
      route: '/items',
      setHeader: (name, value) => (headers[name] = value),
      getHeader: (name) => headers[name],
      removeHeader: (name) => delete headers[name],
      end: () => undefined,
    };
    if (edge.handle(raw, res) !== false) throw new Error('the edge answered');
    const req = { raw, method: 'GET', headers: {}, routeOptions: { url: '/items' } };
    const ctx: ExecutionContext = new ExecutionContextHost([req, res], ItemsController, handler);
    try {
      guard.canActivate(ctx);
      return { status: 200, headers, raw };
    } catch {
      return { status: 429, headers, raw };
    }
  };
  return { request, decide, decideAfterEdge };
}

describe('the edge deciding the IP guard policies of a learned Fastify route', () => {
  it('one storage call per request from the second on, with the guard’s own counts and refusal', () => {
    const { request, decide, decideAfterEdge } = pipeline();
    expect(request()).toMatchObject({
      status: 200,
      headers: { RateLimit: expect.stringMatching(/^"default";r=1;t=\d+$/) },
    });
    expect([decide.mock.calls.length, decideAfterEdge.mock.calls.length]).toEqual([2, 0]);
    const second = request();
    expect(second).toMatchObject({
      status: 200,
      headers: { RateLimit: expect.stringMatching(/^"default";r=0;t=\d+$/) },
    });
    // Taken once: nothing of it is left on the request.
    expect(getSecurityState(second.raw).edgeDecided).toBeUndefined();
    expect(request()).toMatchObject({ status: 429, headers: { 'Retry-After': expect.any(Number) } });
    expect([decide.mock.calls.length, decideAfterEdge.mock.calls.length]).toEqual([2, 2]);
  });

  it('a decision for another handler’s policies is not taken: the guard decides, and the route becomes ambiguous', () => {
    const { request, decide, decideAfterEdge } = pipeline();
    request(); // learns GET /items → list's policies
    const other = request(ItemsController.prototype.other);
    expect(other.status).toBe(200);
    // The edge decided list's policies for it (a stray count in list's budget); other's guard decided its own.
    expect([decide.mock.calls.length, decideAfterEdge.mock.calls.length]).toEqual([3, 1]);
    // From now on the edge decides its own key only, and the guard its policies.
    expect(request()).toMatchObject({ status: 429 });
    expect([decide.mock.calls.length, decideAfterEdge.mock.calls.length]).toEqual([5, 1]);
  });

  it('a subclass of the guard (it may track callers differently) never takes the edge’s decision', () => {
    class ByTenant extends RateLimitGuard {}
    const { request, decide, decideAfterEdge } = pipeline(ByTenant);
    request();
    request();
    expect([decide.mock.calls.length, decideAfterEdge.mock.calls.length]).toEqual([4, 0]);
  });
});
