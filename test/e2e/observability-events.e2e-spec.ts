import type { INestApplication } from '@nestjs/common';
import { missingEventFields, SecurityEvents, TokenService, type SecurityEvent } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { observabilityApp } from '../fixtures/observability-app';
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
