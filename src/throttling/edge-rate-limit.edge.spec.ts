import { EventEmitter } from 'node:events';
import { createTestRedisStorage } from '../../test/utils/redis';
import { SecurityEvents } from '../core/events/security-events.service';
import type { EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import { resolveSecurityOptions } from '../security.options';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { SecurityStorage } from '../storage/security-storage.interface';
import { EdgeRateLimitEdge } from './edge-rate-limit.edge';
import { RateLimiterService } from './rate-limiter.service';

const LIMIT = 3;

function edgeOn(storage: SecurityStorage): EdgeRateLimitEdge {
  const resolved = resolveSecurityOptions({
    events: { logger: false },
    rateLimit: { edge: { limit: LIMIT, windowSeconds: 60 } },
  });
  const events = new SecurityEvents(resolved);
  const limiter = new RateLimiterService(storage, resolved, events);
  const o = resolved.rateLimit;
  if (!o.edge) throw new Error('the edge policy is on');
  return new EdgeRateLimitEdge(o, o.edge, () => limiter, events, false);
}

/** A Node-like request, and a response already routed (as on Fastify) to a known route. */
function exchange(headers: Record<string, string> = {}) {
  const req: EdgeRequest & EventEmitter = Object.assign(new EventEmitter(), {
    method: 'POST',
    url: '/items',
    headers,
    socket: { remoteAddress: '127.0.0.1' },
  });
  const sent: Record<string, unknown> = {};
  const res: EdgeResponse & { body?: string; sent: Record<string, unknown> } = {
    statusCode: 200,
    route: '/items',
    sent,
    setHeader: (name, value) => (sent[name.toLowerCase()] = value),
    getHeader: (name) => sent[name.toLowerCase()],
    removeHeader: (name) => delete sent[name.toLowerCase()],
    end(chunk?: string) {
      this.body = chunk;
    },
  };
  return { req, res };
}

describe.each([
  ['memory', async () => new MemorySecurityStorage()],
  ['redis', () => createTestRedisStorage('edge-rl-unit')],
])('EdgeRateLimitEdge (%s store)', (_kind, createStorage) => {
  let storage: SecurityStorage;
  beforeEach(async () => {
    storage = await createStorage();
  });
  afterEach(() => storage.close());

  it('decides every request of a known route itself, and refuses the one over the limit', async () => {
    const edge = edgeOn(storage);
    // Bodyless, on a routed request, ended early: each is decided (and counted) right here.
    for (let i = 0; i < LIMIT; i++) {
      const { req, res } = exchange({ 'content-type': 'text/plain' });
      expect(await edge.handle(req, res)).toBe(false);
      req.emit('close');
      expect(res.body).toBeUndefined();
    }
    const { req, res } = exchange();
    expect(await edge.handle(req, res)).toBe(true);
    expect(res.statusCode).toBe(429);
    expect(Number(res.sent['retry-after'])).toBeGreaterThan(0);
    expect(res.sent['ratelimit-policy']).toBe(`"edge";q=${LIMIT};w=60`);
    expect(JSON.parse(res.body as string)).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
  });
});
