import { join } from 'node:path';
import { Logger, type INestApplication } from '@nestjs/common';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';

const SEED = join(__dirname, '..', 'fixtures', 'seed-config.yaml');

/** The sample app, booted with the seed's flat config.yaml laid over its options (SECURITY_CONFIG). */
describe.each(ADAPTERS)("sample app booted with the seed's config.yaml (%s)", (adapter) => {
  let app: INestApplication;
  let url: string;
  let warn: jest.SpyInstance;
  const saved = { SECURITY_CONFIG: process.env.SECURITY_CONFIG, JWT_SECRET: process.env.JWT_SECRET };

  beforeAll(async () => {
    process.env.SECURITY_CONFIG = SEED;
    process.env.JWT_SECRET ??= 'a-seed-e2e-secret-of-at-least-32-bytes!!';
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    ({ app, url } = await bootApp(adapter, AppModule));
  });
  afterAll(async () => {
    await app?.close();
    warn.mockRestore();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('warned once at boot for each seed key whose option means something different', () => {
    const messages = warn.mock.calls.map((call) => String(call[0])).filter((m) => m.includes('seed-config.yaml'));
    expect(messages).toEqual([
      expect.stringContaining('cors.development.expose_headers replaces the default exposed headers'),
      expect.stringContaining('cors.staging.expose_headers replaces the default exposed headers'),
      expect.stringContaining('validation.max_payload_bytes is checked on Content-Length'),
      expect.stringContaining("graphql.max_complexity is compared with this library's schema-aware cost"),
    ]);
  });

  it('issues access tokens for auth.token_expiry (3600 s) with auth.algorithm (HS256)', async () => {
    const res = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-pass' }),
    });
    expect(res.status).toBe(200);
    const { accessToken } = (await res.json()) as { accessToken: string };
    const [header, payload] = accessToken
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
    expect(header.alg).toBe('HS256');
    // TokenService gives iat millisecond precision and exp whole seconds: 3600 s less under a second.
    const lifetime = Number(payload.exp) - Number(payload.iat);
    expect(lifetime).toBeGreaterThan(3599);
    expect(lifetime).toBeLessThanOrEqual(3600);
    const me = await fetch(`${url}/auth/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
  });

  it('limits per client IP with rate_limit.max_requests per rate_limit.window_seconds', async () => {
    const res = await fetch(`${url}/health`, {
      headers: { 'X-Forwarded-For': `198.18.${adapter === 'express' ? 41 : 42}.1` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-policy')).toMatch(/^"default";q=100;w=60/);
  });

  it("answers CORS with the seed's block for the running profile (development under Jest)", async () => {
    const preflight = await fetch(`${url}/documents`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:5173',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
    const simple = await fetch(`${url}/health`, { headers: { Origin: 'http://localhost:3000' } });
    expect(simple.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(simple.headers.get('access-control-expose-headers')).toBe('X-Request-ID');
    const production = await fetch(`${url}/health`, { headers: { Origin: 'https://app.example.com' } });
    expect(production.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("refuses a query string over the seed's 500 characters with 414 QUERY_TOO_LONG", async () => {
    const ok = await fetch(`${url}/health?q=${'a'.repeat(498)}`);
    expect(ok.status).toBe(200);
    const res = await fetch(`${url}/health?q=${'a'.repeat(499)}`);
    expect(res.status).toBe(414);
    expect(await res.json()).toMatchObject({ statusCode: 414, code: 'QUERY_TOO_LONG' });
  });
});
