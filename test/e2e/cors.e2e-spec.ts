import { Controller, Get, Module, Post, type DynamicModule } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Public, SecurityModule, type CorsOptions, type SecurityEvent } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

const events: SecurityEvent[] = [];

@Public()
@Controller('api')
class ApiController {
  @Get('data')
  data() {
    return { secret: 'per-user data' };
  }

  @Post('data')
  create() {
    return { created: true };
  }
}

function appModule(cors: CorsOptions, profile: 'development' | 'production' = 'production'): DynamicModule {
  @Module({})
  class CorsAppModule {}
  return {
    module: CorsAppModule,
    imports: [
      SecurityModule.forRoot({
        profile,
        cors,
        rateLimit: { enabled: false },
        events: { logger: false, sinks: [(e) => events.push(e)] },
      }),
    ],
    controllers: [ApiController],
  };
}

const POLICY: CorsOptions = {
  origins: ['https://app.example.com', 'https://*.example.org'],
  methods: ['GET', 'POST'],
  credentials: true,
  maxAge: 300,
};

function preflight(url: string, origin: string, method = 'POST', headers = 'content-type') {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': headers },
  });
}

describe.each(ADAPTERS)('CORS (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, appModule(POLICY) as never));
  });
  afterAll(() => app.close());

  it('gives an allowed origin its own ACAO, credentials and exposed headers', async () => {
    const res = await fetch(`${url}/api/data`, { headers: { Origin: 'https://app.example.com' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')).toBe(
      'RateLimit, RateLimit-Policy, Retry-After, X-Request-ID',
    );
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it('matches subdomain patterns but never look-alikes', async () => {
    const ok = await fetch(`${url}/api/data`, { headers: { Origin: 'https://a.b.example.org' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://a.b.example.org');
    for (const origin of ['https://evil-example.org', 'https://example.org.evil.com', 'https://example.org']) {
      const res = await fetch(`${url}/api/data`, { headers: { Origin: origin } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('sends no CORS headers to a simple request from a disallowed origin, with Vary and an event', async () => {
    const res = await fetch(`${url}/api/data`, { headers: { Origin: 'https://evil.com', 'X-Request-ID': 'cors-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/Origin/);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'CORS_REJECTED', reason: 'origin_not_allowed', requestId: 'cors-1' }),
    );
  });

  it('sends Vary: Origin even without an Origin header', async () => {
    const res = await fetch(`${url}/api/data`);
    expect(res.headers.get('vary')).toMatch(/Origin/);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers an allowed preflight with 204 and the policy', async () => {
    const res = await preflight(`${url}/api/data`, 'https://app.example.com');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'Authorization, Content-Type, Idempotency-Key, X-Request-ID',
    );
    expect(res.headers.get('access-control-max-age')).toBe('300');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it.each([
    ['a disallowed origin', 'https://evil.com', 'POST', 'content-type', 'origin_not_allowed'],
    ['a look-alike origin', 'https://evil-example.org', 'POST', 'content-type', 'origin_not_allowed'],
    ['the null origin', 'null', 'POST', 'content-type', 'origin_not_allowed'],
    ['a method not listed', 'https://app.example.com', 'DELETE', 'content-type', 'method_not_allowed'],
    ['a header not listed', 'https://app.example.com', 'POST', 'content-type, x-evil', 'header_not_allowed'],
  ])('refuses a preflight from %s with 403 and no CORS headers', async (_n, origin, method, headers, reason) => {
    const before = events.length;
    const res = await preflight(`${url}/api/data`, origin, method, headers);
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/Origin/);
    expect(await res.json()).toMatchObject({ statusCode: 403, code: 'CORS_ORIGIN_DENIED' });
    expect(events.slice(before)).toContainEqual(expect.objectContaining({ type: 'CORS_REJECTED', reason }));
  });

  it('answers preflights for unknown routes too (the edge runs before routing)', async () => {
    expect((await preflight(`${url}/nowhere`, 'https://app.example.com')).status).toBe(204);
    expect((await preflight(`${url}/nowhere`, 'https://evil.com')).status).toBe(403);
  });
});

describe.each(ADAPTERS)('CORS boot refusals (%s)', (adapter) => {
  it.each<[string, CorsOptions, 'development' | 'production', RegExp]>([
    ['"*" with credentials', { origins: ['*'], credentials: true }, 'development', /"\*" while credentials is true/],
    ['the null origin', { origins: ['null'] }, 'development', /"null" origin/],
    ['plain http in production', { origins: ['http://app.example.com'] }, 'production', /plain-http origin/],
    ['an unanchored RegExp', { origins: [/example\.com/] }, 'development', /not anchored/],
    ['a RegExp with an unescaped host dot', { origins: [/^https:\/\/app.example\.com$/] }, 'development', /unescaped/],
    ['max-age above browser caps', { maxAge: 100_000 }, 'development', /at most 86400/],
  ])('refuses %s', async (_n, cors, profile, message) => {
    await expect(bootApp(adapter, appModule(cors, profile) as never)).rejects.toThrow(message);
  });
});
