import { Controller, Get, Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Public, SecurityHeaders, SecurityModule, type SecurityEvent } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';

/** The API preset, exactly (the snapshot both adapters must produce). */
const PRESET: Record<string, string> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy':
    'accelerometer=(),autoplay=(),camera=(),clipboard-read=(),clipboard-write=(),display-capture=(),' +
    'encrypted-media=(),fullscreen=(),geolocation=(),gyroscope=(),hid=(),idle-detection=(),magnetometer=(),' +
    'microphone=(),midi=(),payment=(),picture-in-picture=(),publickey-credentials-get=(),screen-wake-lock=(),' +
    'serial=(),usb=(),web-share=(),xr-spatial-tracking=()',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
};

/** Headers that are neither the preset nor transport/framework plumbing. */
const PLUMBING = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
  'keep-alive',
  'etag',
  'vary',
  'x-request-id',
  'transfer-encoding',
]);

function securityHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!PLUMBING.has(name)) out[name] = value;
  });
  return out;
}

@Public()
@Controller('h')
class HeadersController {
  @Get('plain')
  plain() {
    return { ok: true };
  }

  @Get('cached')
  @SecurityHeaders({ 'Cache-Control': 'public, max-age=60', 'Content-Security-Policy': false })
  cached() {
    return { ok: true };
  }

  @Get('boom')
  boom(): never {
    throw new Error('boom');
  }
}

@SecurityHeaders({ 'X-Frame-Options': 'SAMEORIGIN' })
@Public()
@Controller('framed')
class FramedController {
  @Get()
  get() {
    return { ok: true };
  }

  @Get('own')
  @SecurityHeaders({ 'Referrer-Policy': 'same-origin' })
  own() {
    return { ok: true };
  }
}

const events: SecurityEvent[] = [];

@Module({
  imports: [
    SecurityModule.forRoot({
      rateLimit: { enabled: false },
      events: { logger: false, sinks: [(e) => events.push(e)] },
    }),
  ],
  controllers: [HeadersController, FramedController],
})
class HeadersAppModule {}

@Module({
  imports: [
    SecurityModule.forRoot({
      trustProxy: ['loopback'],
      headers: { https: { mode: 'reject', exemptPaths: ['/h/plain'] } },
      events: { logger: false, sinks: [(e) => events.push(e)] },
    }),
  ],
  controllers: [HeadersController],
})
class RejectHttpModule {}

@Module({
  imports: [
    SecurityModule.forRoot({
      trustProxy: ['loopback'],
      headers: { https: { mode: 'redirect' } },
      events: { logger: false },
    }),
  ],
  controllers: [HeadersController],
})
class RedirectHttpModule {}

@Module({
  imports: [
    SecurityModule.forRoot({
      headers: { https: { mode: 'reject' } },
      events: { logger: false },
    }),
  ],
  controllers: [HeadersController],
})
class UntrustedProxyModule {}

describe.each(ADAPTERS)('security headers (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, HeadersAppModule));
  });
  afterAll(() => app.close());

  it('answers with exactly the API preset and no X-Powered-By or Server', async () => {
    const res = await fetch(`${url}/h/plain`);
    expect(res.status).toBe(200);
    expect(securityHeaders(res)).toEqual(PRESET);
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('server')).toBeNull();
  });

  it.each([
    ['an unknown route', '/missing', 404],
    ['a failing handler', '/h/boom', 500],
  ])('puts the same preset on %s', async (_name, path, status) => {
    const res = await fetch(`${url}${path}`);
    expect(res.status).toBe(status);
    expect(securityHeaders(res)).toEqual(PRESET);
  });

  it('applies per-route overrides (replace and remove)', async () => {
    const res = await fetch(`${url}/h/cached`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.get('content-security-policy')).toBeNull();
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('lets a controller override the preset and a handler override the controller', async () => {
    const ctl = await fetch(`${url}/framed`);
    expect(ctl.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const own = await fetch(`${url}/framed/own`);
    expect(own.headers.get('referrer-policy')).toBe('same-origin');
    // The handler's metadata replaces the controller's wholesale.
    expect(own.headers.get('x-frame-options')).toBe('DENY');
  });
});

describe.each(ADAPTERS)('HTTPS enforcement (%s)', (adapter) => {
  const apps: INestApplication[] = [];
  let reject: string;
  let redirect: string;
  let untrusted: string;

  beforeAll(async () => {
    const a = await bootApp(adapter, RejectHttpModule);
    const b = await bootApp(adapter, RedirectHttpModule);
    const c = await bootApp(adapter, UntrustedProxyModule);
    apps.push(a.app, b.app, c.app);
    [reject, redirect, untrusted] = [a.url, b.url, c.url];
  });
  afterAll(() => Promise.all(apps.map((a) => a.close())));

  it('refuses plain http reported by a trusted proxy with 403 HTTPS_REQUIRED', async () => {
    const res = await fetch(`${reject}/h/cached`, {
      headers: { 'X-Forwarded-Proto': 'http', 'X-Request-ID': 'https-1' },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'HTTPS is required',
      code: 'HTTPS_REQUIRED',
      requestId: 'https-1',
    });
    expect(events.some((e) => e.type === 'HTTPS_REQUIRED' && e.requestId === 'https-1')).toBe(true);
  });

  it('lets https through and honours exempt paths', async () => {
    expect((await fetch(`${reject}/h/cached`, { headers: { 'X-Forwarded-Proto': 'https' } })).status).toBe(200);
    expect((await fetch(`${reject}/h/plain`, { headers: { 'X-Forwarded-Proto': 'http' } })).status).toBe(200);
    expect((await fetch(`${reject}/h/plain?x=1`, { headers: { 'X-Forwarded-Proto': 'http' } })).status).toBe(200);
  });

  it('exempts whole path segments only, never a longer path that shares the prefix', async () => {
    const res = await fetch(`${reject}/h/plain-admin`, { headers: { 'X-Forwarded-Proto': 'http' } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('HTTPS_REQUIRED');
  });

  it('redirects with 308 to the same URL on https', async () => {
    const res = await fetch(`${redirect}/h/plain?x=1`, {
      headers: { 'X-Forwarded-Proto': 'http' },
      redirect: 'manual',
    });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe(`${redirect.replace('http://', 'https://')}/h/plain?x=1`);
  });

  it('ignores X-Forwarded-Proto from an untrusted peer', async () => {
    const res = await fetch(`${untrusted}/h/plain`, { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(res.status).toBe(403);
  });
});

describe.each(ADAPTERS)('sample app header snapshot (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
  });
  afterAll(() => app.close());

  /** The sample app also rate-limits: its RateLimit headers are not part of the header preset. */
  function withoutRateLimit(headers: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).filter(([name]) => !/^(x-)?ratelimit|^retry-after$/.test(name)));
  }

  it.each([
    ['GET', '/health', 200],
    ['GET', '/does-not-exist', 404],
  ])('%s %s carries exactly the preset', async (method, path, status) => {
    const res = await fetch(`${url}${path}`, { method });
    expect(res.status).toBe(status);
    expect(withoutRateLimit(securityHeaders(res))).toEqual(PRESET);
  });
});
