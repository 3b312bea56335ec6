import { randomBytes } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Module, Post, type INestApplication, type Type } from '@nestjs/common';
import {
  AllowSensitiveFields,
  Deprecated,
  Idempotent,
  Public,
  RateLimit,
  Roles,
  Scopes,
  SecurityHeaders,
  SecurityModule,
  Signed,
  signRequest,
  signWebhook,
  SkipRateLimit,
  VerifyWebhook,
} from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { forge, hmacSigner, now } from './auth-helpers';

/**
 * Per-route decisions of inherited routes. A generic base controller's method is ONE function
 * object shared by every subclass, and each subclass may carry different class-level decorators:
 * whatever a guard, interceptor or pipe computes once per route must be keyed by the controller
 * class AND the handler. Each pair below inherits the same handlers; the decorated subclass must
 * enforce its decorator and the undecorated one must not, whichever of the two is called first
 * (a fresh app per order, so the first request is the one that fills the caches).
 */

const JWT_SECRET = randomBytes(48).toString('base64url');
const SIGNING_KEY = { keyId: 'k1', secret: 'route-plan-signing-secret-0123456789abcdef' };
const WEBHOOK_SECRET = 'route-plan-webhook-secret';
const ISS = 'https://route-plan.test';
const AUD = 'route-plan';

/** The usual generic CRUD controller. A new base (new handler functions) per pair, so each pair's first call is its own. */
function crudController(): Type {
  @Public()
  abstract class CrudController {
    @Get()
    list() {
      return { items: [{ id: '1', title: 'first' }], password: 'never-sent' };
    }

    @Post()
    @HttpCode(200)
    create(@Body() body: Record<string, unknown>) {
      return { created: body };
    }
  }
  return CrudController as unknown as Type;
}

/** Two subclasses of one fresh base: `plain` without, `decorated` with the class decorators. */
function pair(name: string, decorators: ClassDecorator[]): { plain: Type; decorated: Type } {
  const Base = crudController();
  class Plain extends Base {}
  class Decorated extends Base {}
  Object.defineProperty(Plain, 'name', { value: `${name}PlainController` });
  Object.defineProperty(Decorated, 'name', { value: `${name}DecoratedController` });
  Controller(`${name}/plain`)(Plain);
  for (const decorate of [...decorators, Controller(`${name}/decorated`)].reverse()) decorate(Decorated);
  return { plain: Plain, decorated: Decorated };
}

const PAIRS = {
  signed: pair('signed', [Signed()]),
  webhook: pair('webhook', [VerifyWebhook('github', { secret: WEBHOOK_SECRET })]),
  idempotent: pair('idempotent', [Idempotent()]),
  deprecated: pair('deprecated', [Deprecated({ since: '2025-01-01T00:00:00Z', sunset: '2099-12-31T23:59:59Z' })]),
  retired: pair('retired', [Deprecated({ since: '2020-01-01T00:00:00Z', sunset: '2021-01-01T00:00:00Z' })]),
  headers: pair('headers', [SecurityHeaders({ 'Cache-Control': 'public, max-age=300', 'X-Frame-Options': false })]),
  protected: pair('protected', [Public(false)]),
  scopes: pair('scopes', [Scopes('orders:write')]),
  roles: pair('roles', [Roles('admin')]),
  rateLimit: pair('rate-limit', [RateLimit({ tight: { limit: 1, windowSeconds: 60 } })]),
  tierSkip: pair('tier-skip', [SkipRateLimit('authenticated')]),
  sensitive: pair('sensitive', [AllowSensitiveFields('password')]),
};

@Module({
  imports: [
    SecurityModule.forRoot({
      events: { logger: false },
      auth: { jwt: { secret: JWT_SECRET, issuer: ISS, audience: AUD } },
      authorization: { roles: { admin: {}, user: {} } },
      // The per-IP module budget never trips; routes bring their own, and tiers their per-principal one.
      rateLimit: {
        maxRequests: 1_000_000,
        windowSeconds: 60,
        tiers: { authenticated: { quota: { limit: 2, windowSeconds: 60 } } },
      },
      signing: { keys: { [SIGNING_KEY.keyId]: SIGNING_KEY.secret } },
    }),
  ],
  controllers: Object.values(PAIRS).flatMap((p) => [p.plain, p.decorated]),
})
class RoutePlanAppModule {}

/** A fresh principal per token, so per-principal budgets never carry over between checks. */
function token(claims: Record<string, unknown> = {}): string {
  const payload = { sub: `u-${randomBytes(6).toString('hex')}`, iss: ISS, aud: AUD, iat: now(), exp: now() + 300 };
  return forge({ alg: 'HS256', typ: 'JWT' }, { ...payload, ...claims }, hmacSigner(JWT_SECRET));
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** One pair's checks: what the undecorated route answers, and what the decorated one enforces. */
interface Case {
  pair: keyof typeof PAIRS;
  plain(base: string): Promise<void>;
  decorated(base: string): Promise<void>;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { ...JSON_TYPE, ...headers } });
}

async function code(res: Response): Promise<string | undefined> {
  return ((await res.json()) as { code?: string }).code;
}

const CASES: Case[] = [
  {
    pair: 'signed',
    plain: async (base) => {
      expect((await post(`${base}/signed/plain`, { a: 1 })).status).toBe(200);
    },
    decorated: async (base) => {
      const unsigned = await post(`${base}/signed/decorated`, { a: 1 });
      expect(unsigned.status).toBe(401);
      expect(await code(unsigned)).toBe('INVALID_SIGNATURE');
      const body = JSON.stringify({ a: 2 });
      const signature = signRequest({
        method: 'POST',
        url: '/signed/decorated',
        body,
        headers: JSON_TYPE,
        ...SIGNING_KEY,
      });
      const signed = await fetch(`${base}/signed/decorated`, {
        method: 'POST',
        body,
        headers: { ...JSON_TYPE, ...signature },
      });
      expect(signed.status).toBe(200);
    },
  },
  {
    pair: 'webhook',
    plain: async (base) => {
      expect((await post(`${base}/webhook/plain`, { event: 'push' })).status).toBe(200);
    },
    decorated: async (base) => {
      expect((await post(`${base}/webhook/decorated`, { event: 'push' })).status).toBe(401);
      const body = JSON.stringify({ event: 'push', id: randomBytes(4).toString('hex') });
      const headers = signWebhook('github', { secret: WEBHOOK_SECRET, body });
      expect(
        (await fetch(`${base}/webhook/decorated`, { method: 'POST', body, headers: { ...JSON_TYPE, ...headers } }))
          .status,
      ).toBe(200);
    },
  },
  {
    pair: 'idempotent',
    plain: async (base) => {
      const res = await post(`${base}/idempotent/plain`, { amount: 1 });
      expect(res.status).toBe(200);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
    },
    decorated: async (base) => {
      const missing = await post(`${base}/idempotent/decorated`, { amount: 1 });
      expect(missing.status).toBe(400);
      expect(await code(missing)).toBe('IDEMPOTENCY_KEY_MISSING');
      const key = { 'Idempotency-Key': `k-${randomBytes(6).toString('hex')}` };
      expect((await post(`${base}/idempotent/decorated`, { amount: 1 }, key)).status).toBe(200);
      const replay = await post(`${base}/idempotent/decorated`, { amount: 1 }, key);
      expect(replay.status).toBe(200);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    },
  },
  {
    pair: 'deprecated',
    plain: async (base) => {
      const res = await fetch(`${base}/deprecated/plain`);
      expect(res.status).toBe(200);
      expect(res.headers.get('deprecation')).toBeNull();
      expect(res.headers.get('sunset')).toBeNull();
    },
    decorated: async (base) => {
      const res = await fetch(`${base}/deprecated/decorated`);
      expect(res.status).toBe(200);
      expect(res.headers.get('deprecation')).toBe(`@${Date.parse('2025-01-01T00:00:00Z') / 1000}`);
      expect(res.headers.get('sunset')).toBe('Thu, 31 Dec 2099 23:59:59 GMT');
    },
  },
  {
    pair: 'retired',
    plain: async (base) => {
      expect((await fetch(`${base}/retired/plain`)).status).toBe(200);
    },
    decorated: async (base) => {
      const res = await fetch(`${base}/retired/decorated`);
      expect(res.status).toBe(410);
      expect(await code(res)).toBe('GONE');
    },
  },
  {
    pair: 'headers',
    plain: async (base) => {
      const res = await fetch(`${base}/headers/plain`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    },
    decorated: async (base) => {
      const res = await fetch(`${base}/headers/decorated`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(res.headers.get('x-frame-options')).toBeNull();
    },
  },
  {
    pair: 'protected',
    plain: async (base) => {
      expect((await fetch(`${base}/protected/plain`)).status).toBe(200);
    },
    decorated: async (base) => {
      const anonymous = await fetch(`${base}/protected/decorated`);
      expect(anonymous.status).toBe(401);
      expect(await code(anonymous)).toBe('AUTHENTICATION_REQUIRED');
      const res = await fetch(`${base}/protected/decorated`, { headers: { authorization: `Bearer ${token()}` } });
      expect(res.status).toBe(200);
    },
  },
  {
    pair: 'scopes',
    plain: async (base) => {
      const res = await fetch(`${base}/scopes/plain`, { headers: { authorization: `Bearer ${token()}` } });
      expect(res.status).toBe(200);
    },
    decorated: async (base) => {
      const without = await fetch(`${base}/scopes/decorated`, { headers: { authorization: `Bearer ${token()}` } });
      expect(without.status).toBe(403);
      expect(await code(without)).toBe('INSUFFICIENT_SCOPE');
      const auth = { authorization: `Bearer ${token({ scp: ['orders:write'] })}` };
      expect((await fetch(`${base}/scopes/decorated`, { headers: auth })).status).toBe(200);
    },
  },
  {
    pair: 'roles',
    plain: async (base) => {
      const res = await fetch(`${base}/roles/plain`, {
        headers: { authorization: `Bearer ${token({ roles: ['user'] })}` },
      });
      expect(res.status).toBe(200);
    },
    decorated: async (base) => {
      const user = await fetch(`${base}/roles/decorated`, {
        headers: { authorization: `Bearer ${token({ roles: ['user'] })}` },
      });
      expect(user.status).toBe(403);
      expect(await code(user)).toBe('PERMISSION_DENIED');
      const admin = { authorization: `Bearer ${token({ roles: ['admin'] })}` };
      expect((await fetch(`${base}/roles/decorated`, { headers: admin })).status).toBe(200);
    },
  },
  {
    pair: 'rateLimit',
    plain: async (base) => {
      for (let i = 0; i < 3; i++) expect((await fetch(`${base}/rate-limit/plain`)).status).toBe(200);
    },
    decorated: async (base) => {
      expect((await fetch(`${base}/rate-limit/decorated`)).status).toBe(200);
      const limited = await fetch(`${base}/rate-limit/decorated`);
      expect(limited.status).toBe(429);
      expect(await code(limited)).toBe('RATE_LIMITED');
    },
  },
  {
    // The `authenticated` tier allows 2 requests per principal: the undecorated route refuses the
    // third, the subclass that skips the tier never does.
    pair: 'tierSkip',
    plain: async (base) => {
      const auth = { authorization: `Bearer ${token()}` };
      for (let i = 0; i < 2; i++) expect((await fetch(`${base}/tier-skip/plain`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${base}/tier-skip/plain`, { headers: auth })).status).toBe(429);
    },
    decorated: async (base) => {
      const auth = { authorization: `Bearer ${token()}` };
      for (let i = 0; i < 3; i++) {
        expect((await fetch(`${base}/tier-skip/decorated`, { headers: auth })).status).toBe(200);
      }
    },
  },
  {
    pair: 'sensitive',
    plain: async (base) => {
      const res = await fetch(`${base}/sensitive/plain`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ items: [{ id: '1', title: 'first' }] });
    },
    decorated: async (base) => {
      const res = await fetch(`${base}/sensitive/decorated`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ items: [{ id: '1', title: 'first' }], password: 'never-sent' });
    },
  },
];

it('every pair really shares its handler functions (the premise of this suite)', () => {
  for (const { plain, decorated } of Object.values(PAIRS)) {
    const a = plain.prototype as Record<string, unknown>;
    const b = decorated.prototype as Record<string, unknown>;
    expect(a.create).toBe(b.create);
    expect(a.list).toBe(b.list);
  }
  expect(new Set(CASES.map((c) => c.pair))).toEqual(new Set(Object.keys(PAIRS)));
});

describe.each(ADAPTERS)('inherited routes keep per-class decisions (%s)', (adapter) => {
  describe.each(['undecorated first', 'decorated first'] as const)('%s', (order) => {
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      ({ app, url } = await bootApp(adapter, RoutePlanAppModule));
    });
    afterAll(() => app.close());

    it.each(CASES.map((c) => [c.pair, c] as const))('%s', async (_name, c) => {
      if (order === 'undecorated first') {
        await c.plain(url);
        await c.decorated(url);
      } else {
        await c.decorated(url);
        await c.plain(url);
      }
      // And again, now that both routes' plans are cached.
      await c.plain(url);
    });
  });
});
