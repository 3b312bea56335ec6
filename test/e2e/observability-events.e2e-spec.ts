import type { INestApplication } from '@nestjs/common';
import {
  missingEventFields,
  SECURITY_EVENT_CATALOG,
  SecurityEvents,
  TokenService,
  type SecurityEvent,
  type SecurityEventSpec,
} from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { CATALOG_TOTP_SECRET, eventCatalogApp } from '../fixtures/event-catalog-app';
import { totpCode } from '../../src/auth/mfa/totp.util';
import { observabilityApp } from '../fixtures/observability-app';
import { spawnRedis, type SpawnedRedis } from '../fixtures/redis-server';
import { redisUrl, uniquePrefix } from '../utils/redis';

const UA = 'observability-e2e/1.0';

describe.each(ADAPTERS)('security events emitted by each action (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    ({ app, url } = await bootApp(
      adapter,
      observabilityApp(events, { events: { authSuccessSampleRate: 1 } }) as never,
    ));
  });
  afterAll(() => app.close());
  beforeEach(() => void events.splice(0));

  async function call(method: string, path: string, init: { token?: string; body?: unknown; ip?: string } = {}) {
    const headers: Record<string, string> = { 'User-Agent': UA };
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return res.status;
  }
  const only = (type: string) => events.filter((e) => e.type === type);
  const token = async (id: string, roles: string[]) => (await app.get(TokenService).issue({ id, roles })).accessToken;

  afterEach(() => {
    // Every event carries what the catalog promises, and nothing secret.
    for (const event of events) expect([event.type, missingEventFields(event)]).toEqual([event.type, []]);
    const log = JSON.stringify(events);
    expect(log).not.toMatch(/alice-pass|bob-pass|wrong-pass|eyJ[\w-]+\.eyJ/);
  });

  it('a wrong password emits LOGIN_FAILED with the username hashed, a good one LOGIN_SUCCEEDED', async () => {
    expect(await call('POST', '/obs/login', { body: { username: 'bob', password: 'wrong-pass' } })).toBe(401);
    const hash = app.get(SecurityEvents).hashUsername('bob');
    expect(only('LOGIN_FAILED')).toEqual([
      expect.objectContaining({
        outcome: 'failure',
        reason: 'invalid_credentials',
        method: 'POST',
        path: '/obs/login',
        route: '/obs/login',
        userAgent: UA,
        details: { usernameHash: hash, status: 401 },
      }),
    ]);
    expect(JSON.stringify(events)).not.toMatch(/"bob"/);
    expect(await call('POST', '/obs/login', { body: { username: 'Bob ', password: 'bob-pass' } })).toBe(401);
    expect(only('LOGIN_FAILED')[1].details?.usernameHash).toBe(hash); // trimmed, case-insensitive
    events.splice(0);
    expect(await call('POST', '/obs/login', { body: { username: 'alice', password: 'alice-pass' } })).toBe(200);
    expect(only('LOGIN_SUCCEEDED')).toEqual([
      expect.objectContaining({
        outcome: 'success',
        details: { usernameHash: app.get(SecurityEvents).hashUsername('alice') },
      }),
    ]);
    expect(only('TOKEN_ISSUED')).toEqual([expect.objectContaining({ principalId: 'alice' })]);
  });

  it('a login the library cannot see reports its outcome explicitly, once', async () => {
    expect(await call('POST', '/obs/sso-callback', { body: { username: 'bob', password: 'nope' } })).toBe(200);
    expect(await call('POST', '/obs/sso-callback', { body: { username: 'bob', password: 'bob-pass' } })).toBe(200);
    expect(events.map((e) => [e.type, e.reason, e.principalId])).toEqual([
      ['LOGIN_FAILED', 'sso_rejected', undefined],
      ['LOGIN_SUCCEEDED', undefined, 'bob'],
    ]);
  });

  it('a locked-out login emits one RATE_LIMITED for the episode, not one per refusal', async () => {
    for (let i = 0; i < 3; i++) {
      expect(await call('POST', '/obs/login', { body: { username: 'locked', password: 'x' } })).toBe(401);
    }
    for (let i = 0; i < 4; i++) {
      expect(await call('POST', '/obs/login', { body: { username: 'locked', password: 'x' } })).toBe(429);
    }
    expect(only('LOGIN_FAILED')).toHaveLength(3);
    expect(only('RATE_LIMITED')).toEqual([
      expect.objectContaining({
        reason: 'login_attempts_exhausted',
        details: expect.objectContaining({ tracker: 'ip+username' }),
      }),
    ]);
  });

  it('a route limit emits one RATE_LIMITED per episode', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await call('GET', '/obs/limited'));
    expect(statuses).toEqual([200, 200, 429, 429, 429, 429]);
    expect(only('RATE_LIMITED')).toEqual([
      expect.objectContaining({
        route: '/obs/limited',
        userAgent: UA,
        details: expect.objectContaining({ tracker: 'ip' }),
      }),
    ]);
  });

  it('AUTH_SUCCEEDED (sampled, here every one) and AUTH_FAILED carry the user agent and the principal', async () => {
    const bob = await token('bob', ['user']);
    events.splice(0);
    expect(await call('GET', '/obs/me', { token: bob })).toBe(200);
    expect(await call('GET', '/obs/me')).toBe(401);
    expect(events.map((e) => [e.type, e.principalId, e.userAgent, e.route])).toEqual([
      ['AUTH_SUCCEEDED', 'bob', UA, '/obs/me'],
      ['AUTH_FAILED', undefined, UA, '/obs/me'],
    ]);
  });

  it('VALIDATION_FAILED carries the request context: id, IP, route template, method', async () => {
    expect(await call('POST', '/obs/notes', { body: { title: '' } })).toBe(400);
    expect(only('VALIDATION_FAILED')).toEqual([
      expect.objectContaining({
        reason: 'constraints_failed',
        requestId: expect.any(String),
        ip: '127.0.0.1',
        method: 'POST',
        path: '/obs/notes',
        route: '/obs/notes',
        userAgent: UA,
      }),
    ]);
  });

  it('@Audit() records who did what to which resource, with the outcome; a refusal is PERMISSION_DENIED', async () => {
    const admin = await token('alice', ['admin']);
    expect(await call('DELETE', '/obs/documents/d-1', { token: admin })).toBe(204);
    expect(await call('DELETE', '/obs/documents/missing', { token: admin })).toBe(404);
    expect(await call('DELETE', '/obs/documents/d-2', { token: await token('bob', ['user']) })).toBe(403);
    expect(only('AUDIT').map((e) => [e.outcome, e.principalId, e.route, e.details])).toEqual([
      [
        'success',
        'alice',
        '/obs/documents/:id',
        { action: 'document.delete', resource: 'document', resourceId: 'd-1', status: 204 },
      ],
      [
        'failure',
        'alice',
        '/obs/documents/:id',
        { action: 'document.delete', resource: 'document', resourceId: 'missing', status: 404 },
      ],
    ]);
    expect(only('PERMISSION_DENIED')).toEqual([
      expect.objectContaining({ principalId: 'bob', path: '/obs/documents/d-2' }),
    ]);
  });
});

describe.each(ADAPTERS)('login anomaly signals (%s, Redis storage)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    ({ app, url } = await bootApp(
      adapter,
      observabilityApp(events, {
        storage: { type: 'redis', url: redisUrl(), keyPrefix: uniquePrefix(`anomaly-${adapter}`) },
        // trust the loopback proxy, so each request can come "from" another IP
        trustProxy: ['loopback'],
        events: { anomalies: { windowSeconds: 60, usernamesPerIp: 4, ipsPerUsername: 3 } },
      }) as never,
    ));
  });
  afterAll(() => app.close());

  const attempt = (username: string, ip: string) =>
    fetch(`${url}/obs/sso-callback`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ip },
      body: JSON.stringify({ username, password: 'wrong' }),
    });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

  it('one IP failing as many usernames raises PASSWORD_SPRAYING_SUSPECTED once', async () => {
    for (const name of ['u1', 'u2', 'u3', 'u3', 'u4', 'u5', 'u6']) await attempt(name, '198.51.100.7');
    await settle();
    const spraying = events.filter((e) => e.type === 'PASSWORD_SPRAYING_SUSPECTED');
    expect(spraying).toEqual([
      expect.objectContaining({ ip: '198.51.100.7', details: { distinctUsernames: 4, windowSeconds: 60 } }),
    ]);
    expect(missingEventFields(spraying[0])).toEqual([]);
  });

  it('one username failing from many IPs raises CREDENTIAL_STUFFING_SUSPECTED once', async () => {
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.2', '203.0.113.3', '203.0.113.4']) {
      await attempt('victim', ip);
    }
    await settle();
    const stuffing = events.filter((e) => e.type === 'CREDENTIAL_STUFFING_SUSPECTED');
    expect(stuffing).toEqual([
      expect.objectContaining({
        details: { usernameHash: app.get(SecurityEvents).hashUsername('victim'), distinctIps: 3, windowSeconds: 60 },
      }),
    ]);
    expect(JSON.stringify(events)).not.toMatch(/victim/);
  });
});

/** What a catalog case can do: real requests to the catalog app, tokens, a real Redis outage. */
interface CatalogHarness {
  /** The app's base URL. */
  readonly url: string;
  /** One request with the suite's user agent; resolves to the status. */
  call(
    method: string,
    path: string,
    init?: { token?: string; body?: unknown; ip?: string; headers?: Record<string, string> },
  ): Promise<number>;
  /** An access token for `id` with `roles`. */
  token(id: string, roles?: string[]): Promise<string>;
  /** A fresh token pair for `id`. */
  pair(id: string): Promise<{ accessToken: string; refreshToken: string }>;
  /** Rotates a refresh token (server side); resolves to the new one. */
  rotate(refreshToken: string): Promise<string>;
  /** Creates an API key for `owner` through the app; resolves to its id. */
  apiKey(owner: string): Promise<string>;
  /** Stops the app's Redis, makes requests that need it fail (503), restarts it and waits for the recovery. */
  outage(): Promise<void>;
}

/** One event type's e2e case: the action that must emit it, and what the event must show. */
interface CatalogCase {
  /** Performs the action through real requests (or the real mechanism), asserting its answers. */
  trigger(h: CatalogHarness): Promise<unknown>;
  /** What the first event of the type emitted by the action must also match (besides the catalog's required fields). */
  match?: Record<string, unknown>;
}

/**
 * One row per type of SECURITY_EVENT_CATALOG. A new event type needs a row here (and, if no route
 * of test/fixtures/event-catalog-app.ts performs its action, a route there); the guard test below
 * fails until it has one.
 */
const CATALOG_CASES: Record<string, CatalogCase> = {
  AUTH_FAILED: {
    trigger: async (h) => expect(await h.call('GET', '/obs/me')).toBe(401),
    match: { outcome: 'failure', route: '/obs/me' },
  },
  AUTH_SUCCEEDED: {
    trigger: async (h) => expect(await h.call('GET', '/obs/me', { token: await h.token('bob') })).toBe(200),
    match: { principalId: 'bob', route: '/obs/me' },
  },
  PERMISSION_DENIED: {
    trigger: async (h) =>
      expect(await h.call('DELETE', '/obs/documents/d-2', { token: await h.token('bob') })).toBe(403),
    match: { principalId: 'bob', route: '/obs/documents/:id' },
  },
  RATE_LIMITED: {
    trigger: async (h) => {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await h.call('GET', '/obs/limited'));
      expect(statuses).toEqual([200, 200, 429]);
    },
    match: { route: '/obs/limited', details: expect.objectContaining({ policies: ['tight'] }) },
  },
  RATE_LIMIT_ENDED: {
    // A one-second block; the episode ends once the client has been quiet for 5 s.
    trigger: async (h) =>
      expect([await h.call('GET', '/cat/short'), await h.call('GET', '/cat/short')]).toEqual([200, 429]),
    match: { route: '/cat/short', details: expect.objectContaining({ refused: 1 }) },
  },
  BURST_DETECTED: {
    trigger: async (h) => {
      for (let i = 0; i < 6; i++) await h.call('GET', '/cat/burst');
    },
    match: { route: '/cat/burst', details: expect.objectContaining({ policies: expect.arrayContaining(['burst']) }) },
  },
  VALIDATION_FAILED: {
    trigger: async (h) => expect(await h.call('POST', '/obs/notes', { body: { title: '' } })).toBe(400),
    match: { reason: 'constraints_failed', route: '/obs/notes' },
  },
  MFA_REQUIRED: {
    trigger: async (h) => expect(await h.call('GET', '/cat/mfa-only', { token: await h.token('frank') })).toBe(401),
    match: { principalId: 'frank', reason: 'no_mfa', route: '/cat/mfa-only' },
  },
  MFA_VERIFIED: {
    trigger: async (h) => {
      const code = totpCode(CATALOG_TOTP_SECRET, { algorithm: 'SHA1', digits: 6, periodSec: 30 }, Date.now());
      expect(await h.call('POST', '/cat/mfa', { token: await h.token('gina'), body: { code } })).toBe(200);
    },
    match: { principalId: 'gina', details: { method: 'totp' } },
  },
  MFA_FAILED: {
    trigger: async (h) =>
      expect(await h.call('POST', '/cat/mfa', { token: await h.token('hank'), body: { code: '12345' } })).toBe(400),
    match: { principalId: 'hank', reason: 'malformed', details: { method: 'totp' } },
  },
  TOKEN_ISSUED: {
    trigger: async (h) =>
      expect(await h.call('POST', '/obs/login', { body: { username: 'alice', password: 'alice-pass' } })).toBe(200),
    match: { principalId: 'alice', route: '/obs/login' },
  },
  TOKEN_REFRESHED: {
    trigger: async (h) =>
      expect(await h.call('POST', '/cat/refresh', { body: { token: (await h.pair('carol')).refreshToken } })).toBe(200),
    match: { principalId: 'carol', route: '/cat/refresh' },
  },
  TOKEN_REVOKED: {
    trigger: async (h) =>
      expect(await h.call('POST', '/cat/logout', { body: { token: (await h.pair('carol')).refreshToken } })).toBe(204),
    match: { principalId: 'carol', route: '/cat/logout' },
  },
  REFRESH_REUSE_DETECTED: {
    trigger: async (h) => {
      const first = await h.pair('dave');
      await h.rotate(await h.rotate(first.refreshToken)); // past the grace of the first rotation
      expect(await h.call('POST', '/cat/refresh', { body: { token: first.refreshToken } })).toBe(401);
    },
    match: { principalId: 'dave', route: '/cat/refresh' },
  },
  API_KEY_CREATED: {
    trigger: async (h) => expect(await h.call('POST', '/cat/api-keys', { token: await h.token('erin') })).toBe(201),
    match: { principalId: 'erin', route: '/cat/api-keys' },
  },
  API_KEY_REVOKED: {
    trigger: async (h) => {
      const id = await h.apiKey('erin');
      expect(await h.call('DELETE', `/cat/api-keys/${id}`, { token: await h.token('erin') })).toBe(204);
    },
    match: { principalId: 'erin', route: '/cat/api-keys/:id' },
  },
  API_KEY_ROTATED: {
    trigger: async (h) => {
      const id = await h.apiKey('erin');
      expect(await h.call('POST', `/cat/api-keys/${id}/rotate`, { token: await h.token('erin') })).toBe(201);
    },
    match: { principalId: 'erin', route: '/cat/api-keys/:id/rotate' },
  },
  SIGNATURE_INVALID: {
    trigger: async (h) => expect(await h.call('POST', '/cat/signed', { body: { amount: 1 } })).toBe(401),
    match: { route: '/cat/signed' },
  },
  WEBHOOK_REJECTED: {
    trigger: async (h) =>
      expect(await h.call('POST', '/cat/webhook', { body: { id: 'evt_1' } })).toBeGreaterThanOrEqual(400),
    match: { route: '/cat/webhook' },
  },
  CORS_REJECTED: {
    trigger: async (h) =>
      expect(
        await h.call('OPTIONS', '/obs/me', {
          headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
        }),
      ).toBe(403),
    match: { path: '/obs/me', details: expect.objectContaining({ origin: 'https://evil.example' }) },
  },
  CSRF_REJECTED: {
    // The access token in the session cookie, a write without the CSRF header.
    trigger: async (h) => {
      const cookie = `__Host-rampart_access=${(await h.pair('frank')).accessToken}`;
      expect(await h.call('POST', '/cat/api-keys', { headers: { Cookie: cookie } })).toBe(403);
    },
    match: { reason: 'csrf_header_missing', route: '/cat/api-keys' },
  },
  HTTPS_REQUIRED: {
    // The catalog app enforces HTTPS outside /obs and /cat.
    trigger: async (h) => expect(await h.call('GET', '/plain/page')).toBe(403),
    match: { reason: 'plain_http_refused', path: '/plain/page' },
  },
  IDEMPOTENCY_CONFLICT: {
    trigger: async (h) => {
      const headers = { 'Idempotency-Key': `catalog-${Date.now()}` };
      expect(await h.call('POST', '/obs/payments', { headers, body: { title: 'a' } })).toBe(201);
      expect(await h.call('POST', '/obs/payments', { headers, body: { title: 'b' } })).toBe(422);
    },
    match: { route: '/obs/payments' },
  },
  DEPRECATED_ROUTE_CALLED: {
    trigger: async (h) => expect(await h.call('GET', '/cat/v1/old')).toBe(200),
    match: { route: '/cat/v1/old' },
  },
  STORAGE_UNAVAILABLE: { trigger: (h) => h.outage() },
  STORAGE_RECOVERED: { trigger: (h) => h.outage() },
  INTERNAL_ERROR: {
    // A DTO whose nested object no class checks: refused (500) with the request's full context.
    trigger: async (h) =>
      expect(await h.call('POST', '/cat/untyped', { token: await h.token('alice'), body: { inner: { a: 1 } } })).toBe(
        500,
      ),
    match: {
      reason: 'dto_misconfigured',
      method: 'POST',
      path: '/cat/untyped',
      route: '/cat/untyped',
      principalId: 'alice',
      ip: '127.0.0.1',
    },
  },
  OWNERSHIP_OVERRIDE: {
    trigger: async (h) =>
      expect(await h.call('GET', '/cat/docs/d-bob', { token: await h.token('alice', ['admin']) })).toBe(200),
    match: { principalId: 'alice', route: '/cat/docs/:id', details: expect.objectContaining({ role: 'admin' }) },
  },
  LOGIN_FAILED: {
    trigger: async (h) =>
      expect(await h.call('POST', '/obs/login', { body: { username: 'bob', password: 'wrong-pass' } })).toBe(401),
    match: { reason: 'invalid_credentials', route: '/obs/login' },
  },
  LOGIN_SUCCEEDED: {
    trigger: async (h) =>
      expect(await h.call('POST', '/obs/login', { body: { username: 'alice', password: 'alice-pass' } })).toBe(200),
    match: { route: '/obs/login' },
  },
  AUDIT: {
    trigger: async (h) =>
      expect(await h.call('DELETE', '/obs/documents/d-1', { token: await h.token('alice', ['admin']) })).toBe(204),
    match: { principalId: 'alice', details: expect.objectContaining({ action: 'document.delete', resourceId: 'd-1' }) },
  },
  PASSWORD_SPRAYING_SUSPECTED: {
    trigger: async (h) => {
      for (const username of ['s1', 's2', 's3', 's4']) {
        await h.call('POST', '/obs/sso-callback', { ip: '198.51.100.7', body: { username, password: 'wrong' } });
      }
    },
    match: { ip: '198.51.100.7' },
  },
  CREDENTIAL_STUFFING_SUSPECTED: {
    trigger: async (h) => {
      for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']) {
        await h.call('POST', '/obs/sso-callback', { ip, body: { username: 'victim', password: 'wrong' } });
      }
    },
  },
};

/** Whether `event` matches `expected` as `toMatchObject` sees it. */
function matches(event: SecurityEvent, expected: Record<string, unknown>): boolean {
  try {
    expect(event).toMatchObject(expected);
    return true;
  } catch {
    return false;
  }
}

/** Types no e2e can trigger, each with the reason (keep it empty unless there is one). */
const UNTRIGGERABLE: Record<string, string> = {
  REVOCATION_REPLICA_ACTIVE:
    "needs auth.revocation.outage: 'replica' (this app fails closed, which other cases assert); emitted and checked against the catalog in test/e2e/revocation-replica.e2e-spec.ts",
  REVOCATION_REPLICA_RELEASED:
    "needs auth.revocation.outage: 'replica'; emitted and checked against the catalog in test/e2e/revocation-replica.e2e-spec.ts",
};

describe('the event catalog e2e covers every type', () => {
  it('has a case (or a stated reason) for each type of SECURITY_EVENT_CATALOG, and none for unknown types', () => {
    const types = Object.keys(SECURITY_EVENT_CATALOG);
    const uncovered = types.filter((type) => !(type in CATALOG_CASES) && !(type in UNTRIGGERABLE));
    const unknown = [...Object.keys(CATALOG_CASES), ...Object.keys(UNTRIGGERABLE)].filter((t) => !types.includes(t));
    if (uncovered.length > 0 || unknown.length > 0) {
      throw new Error(
        [
          uncovered.length > 0 &&
            `No e2e case for ${uncovered.join(', ')}. Add one row per type to CATALOG_CASES in test/e2e/observability-events.e2e-spec.ts: ` +
              `TYPE: { trigger: async (h) => expect(await h.call('POST', '/route', { token, body })).toBe(401), match: { reason: '…' } }, ` +
              `adding the route that performs the action to test/fixtures/event-catalog-app.ts if none does; ` +
              `or, if no e2e can trigger it, list it in UNTRIGGERABLE with the reason.`,
          unknown.length > 0 && `Cases for types not in SECURITY_EVENT_CATALOG: ${unknown.join(', ')}.`,
        ]
          .filter(Boolean)
          .join(' '),
      );
    }
  });
});

describe.each(ADAPTERS)('each catalog type is emitted by its action, with its required fields (%s)', (adapter) => {
  let redis: SpawnedRedis;
  let app: INestApplication;
  let url: string;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    redis = await spawnRedis();
    ({ app, url } = await bootApp(adapter, eventCatalogApp(events, redis.url) as never));
  });
  afterAll(async () => {
    await app.close();
    await redis.stop();
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const harness: CatalogHarness = {
    get url() {
      return url;
    },
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { 'User-Agent': UA, ...init.headers };
      if (init.token) headers.Authorization = `Bearer ${init.token}`;
      if (init.ip) headers['X-Forwarded-For'] = init.ip;
      if (init.body !== undefined) headers['Content-Type'] = 'application/json';
      const body = init.body === undefined ? undefined : JSON.stringify(init.body);
      return (await fetch(`${url}${path}`, { method, headers, body })).status;
    },
    async token(id, roles = ['user']) {
      return (await app.get(TokenService).issue({ id, roles })).accessToken;
    },
    pair: (id) => app.get(TokenService).issue({ id, roles: ['user'] }),
    rotate: async (refreshToken) => (await app.get(TokenService).refresh(refreshToken)).refreshToken,
    async apiKey(owner) {
      const res = await fetch(`${url}/cat/api-keys`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${await harness.token(owner)}`, 'User-Agent': UA },
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    },
    async outage() {
      const token = await harness.token('olga');
      expect(await harness.call('GET', '/obs/me', { token })).toBe(200);
      const from = events.length;
      await redis.stop();
      for (let i = 0; i < 3; i++) expect(await harness.call('GET', '/obs/me', { token })).toBe(503);
      redis = await spawnRedis(redis.port);
      // The clients reconnect (retry ≤ 1 s); the episode ends once the store answers again.
      for (let i = 0; i < 100 && !events.slice(from).some((e) => e.type === 'STORAGE_RECOVERED'); i++) {
        await harness.call('GET', '/obs/me', { token });
        await sleep(200);
      }
    },
  };

  it.each(Object.keys(CATALOG_CASES))(
    '%s',
    async (type) => {
      const spec = (SECURITY_EVENT_CATALOG as Record<string, SecurityEventSpec>)[type];
      const { trigger, match } = CATALOG_CASES[type];
      const from = events.length;
      await trigger(harness);
      // Some events follow the answer (anomaly signals, the end of an episode): wait for them. The
      // action's own event is the one that matches (another episode may end meanwhile).
      const emitted = () => events.slice(from).filter((e) => e.type === type);
      const found = () => emitted().find((e) => !match || matches(e, match));
      for (let i = 0; i < 200 && !found(); i++) await sleep(100);
      const event = found() ?? emitted()[0];
      expect(event).toBeDefined();
      expect(missingEventFields(event)).toEqual([]);
      if (match) expect(event).toMatchObject(match);
      // Emitted while serving a request: it also says who asked, from what.
      if (spec.fields.includes('requestId')) expect(event.userAgent).toBe(UA);
      expect(JSON.stringify(events.slice(from))).not.toMatch(/alice-pass|wrong-pass|eyJ[\w-]+\.eyJ|rk_|whsec_/);
      // Generous: waits for a Redis restart or a rate-limit episode's end (≥ 5 s), never a timed assertion.
    },
    60_000,
  );
});
