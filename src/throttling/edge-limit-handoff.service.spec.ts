import { EventEmitter } from 'node:events';
import { createTestRedisStorage } from '../../test/utils/redis';
import { SecurityEvents } from '../core/events/security-events.service';
import type { EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import { resolveSecurityOptions } from '../security.options';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { RedisSecurityStorage } from '../storage/redis/redis.storage';
import type { SecurityStorage } from '../storage/security-storage.interface';
import { EdgeLimitHandoff } from './edge-limit-handoff.service';
import { RateLimiterService } from './rate-limiter.service';

const KEY = '{rl:203.0.113.9}:e:edge';

function handoffOn(storage: SecurityStorage): EdgeLimitHandoff {
  const resolved = resolveSecurityOptions({ events: { logger: false } });
  const events = new SecurityEvents(resolved);
  return new EdgeLimitHandoff(resolved, storage, new RateLimiterService(storage, resolved, events), events);
}

/** A Node-like request (an emitter: the hand-over listens for `close`) and a response on `route`. */
function request(
  method: string,
  route: string | undefined,
  headers: Record<string, string> = {},
): { req: EdgeRequest & EventEmitter; res: EdgeResponse } {
  const req = Object.assign(new EventEmitter(), { method, url: '/items/1', headers });
  const res = { statusCode: 200, route } as EdgeResponse;
  return { req, res };
}

describe('EdgeLimitHandoff on a shared store', () => {
  let storage: RedisSecurityStorage;
  let handoff: EdgeLimitHandoff;
  beforeEach(async () => {
    storage = await createTestRedisStorage('edge-handoff');
    handoff = handoffOn(storage);
  });
  afterEach(() => storage.close());

  it('hands a request over only once the guard has run on its route, and only once per request', () => {
    const first = request('GET', '/items/:id');
    expect(handoff.handOver(first.req, first.res, KEY)).toBe(false);
    expect(handoff.take(first.req)).toBeUndefined(); // the guard ran: the route is learned
    const second = request('GET', '/items/:id');
    expect(handoff.handOver(second.req, second.res, KEY)).toBe(true);
    expect(handoff.take(second.req)).toBe(KEY);
    expect(handoff.take(second.req)).toBeUndefined(); // a second root field of a GraphQL request
    const other = request('DELETE', '/items/:id');
    expect(handoff.handOver(other.req, other.res, KEY)).toBe(false); // another method, another route
  });

  it.each([
    ['an unknown route (or an adapter that routes after the edge)', request('GET', undefined)],
    ['a preflight', request('OPTIONS', '/items/:id')],
    ['a request with a body', request('GET', '/items/:id', { 'content-length': '2' })],
    ['a chunked body', request('GET', '/items/:id', { 'transfer-encoding': 'chunked' })],
  ])('never hands over %s', (_name, { req, res }) => {
    const learn = request(req.method as string, res.route);
    handoff.handOver(learn.req, learn.res, KEY);
    handoff.take(learn.req);
    expect(handoff.handOver(req, res, KEY)).toBe(false);
    expect(handoff.take(req)).toBeUndefined();
  });

  it('decides the edge key of a request that ends before the guard', async () => {
    const learn = request('GET', '/items/:id');
    handoff.handOver(learn.req, learn.res, KEY);
    handoff.take(learn.req);
    const { req, res } = request('GET', '/items/:id');
    expect(handoff.handOver(req, res, KEY)).toBe(true);
    req.emit('close');
    expect(handoff.take(req)).toBeUndefined();
    // The fallback's decision is on its way to Redis; the next one sees it counted.
    const reply = await handoff.decide(KEY, req);
    expect(reply[0]).toBe(1);
    expect(reply[1 + 0]).toBe(2); // total hits: the fallback's and this one
  });
});

describe('EdgeLimitHandoff on the memory store', () => {
  it('never hands over: both decisions are synchronous there', () => {
    const handoff = handoffOn(new MemorySecurityStorage());
    for (let i = 0; i < 3; i++) {
      const { req, res } = request('GET', '/items/:id');
      expect(handoff.handOver(req, res, KEY)).toBe(false);
      expect(handoff.take(req)).toBeUndefined();
    }
  });
});
