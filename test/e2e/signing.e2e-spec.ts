import { Body, Controller, Get, Module, Post, Query, type DynamicModule } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Public, SecurityModule, Signed, signRequest, type SecurityEvent, type SecurityStorage } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { createTestRedisStorage, REDIS_TARGETS } from '../utils/redis';

const OLD_KEY = { keyId: 'k1', secret: 'old-signing-secret-0123456789abcdefgh' };
const NEW_KEY = { keyId: 'k2', secret: 'new-signing-secret-0123456789abcdefgh' };

@Public()
@Controller('signed')
class SignedController {
  @Signed()
  @Post('orders')
  order(@Body() body: unknown) {
    return { accepted: body };
  }

  @Signed()
  @Post('refunds')
  refund() {
    return { refunded: true };
  }

  @Signed()
  @Get('report')
  report(@Query('from') from: string) {
    return { from };
  }

  @Get('open')
  open() {
    return { open: true };
  }
}

@Public()
@Controller('internal')
class InternalController {
  @Get('stats')
  stats() {
    return { stats: true };
  }

  @Signed(false)
  @Get('ping')
  ping() {
    return { pong: true };
  }
}

function appModule(storage: SecurityStorage, events: SecurityEvent[]): DynamicModule {
  @Module({})
  class SigningAppModule {}
  return {
    module: SigningAppModule,
    imports: [
      SecurityModule.forRoot({
        storage,
        rateLimit: { enabled: false },
        signing: {
          keys: { [OLD_KEY.keyId]: OLD_KEY.secret, [NEW_KEY.keyId]: NEW_KEY.secret },
          paths: ['/internal/'],
        },
        events: { logger: false, sinks: [(e) => events.push(e)] },
      }),
    ],
    controllers: [SignedController, InternalController],
  };
}

const targets = ADAPTERS.flatMap((adapter) => REDIS_TARGETS.map((target) => [adapter, target] as const));

describe.each(targets)('request signing on Redis (%s, %s)', (adapter, target) => {
  let app: INestApplication;
  let url: string;
  let storage: SecurityStorage;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    storage = await createTestRedisStorage(`signing-${adapter}`, 1_000, target);
    ({ app, url } = await bootApp(adapter, appModule(storage, events) as never));
  });
  afterAll(async () => {
    await app.close();
    await storage.close();
  });

  const now = () => Math.floor(Date.now() / 1000);

  /** Sends `method path` signed for `signedPath`/`signedBody` (so tests can tamper either). */
  async function send(opts: {
    method?: string;
    path: string;
    body?: string;
    signedPath?: string;
    signedBody?: string;
    key?: { keyId: string; secret: string };
    timestamp?: number;
    nonce?: string;
    headers?: Record<string, string>;
  }) {
    const method = opts.method ?? 'POST';
    const contentType: Record<string, string> = opts.body !== undefined ? { 'content-type': 'application/json' } : {};
    const key = opts.key ?? NEW_KEY;
    const signature = signRequest({
      method,
      url: opts.signedPath ?? opts.path,
      body: opts.signedBody ?? opts.body,
      headers: contentType,
      keyId: key.keyId,
      secret: key.secret,
      timestamp: opts.timestamp,
      nonce: opts.nonce,
    });
    return fetch(`${url}${opts.path}`, {
      method,
      body: opts.body,
      headers: { ...contentType, ...signature, ...opts.headers },
    });
  }

  function lastReason(): string | undefined {
    return events.filter((e) => e.type === 'SIGNATURE_INVALID').at(-1)?.reason;
  }

  it('accepts a correctly signed request and hands the parsed body to the handler', async () => {
    const res = await send({ path: '/signed/orders', body: '{"amount":100}' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ accepted: { amount: 100 } });
  });

  it('accepts a signed GET whose query parameters are in any order', async () => {
    const res = await send({
      method: 'GET',
      path: '/signed/report?from=2024&to=2025',
      signedPath: '/signed/report?to=2025&from=2024',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ from: '2024' });
  });

  it('accepts the old key and the new key side by side (rotation)', async () => {
    expect((await send({ path: '/signed/orders', body: '{}', key: OLD_KEY })).status).toBe(201);
    expect((await send({ path: '/signed/orders', body: '{}', key: NEW_KEY })).status).toBe(201);
  });

  it.each([
    [
      'a tampered body',
      { path: '/signed/orders', body: '{"amount":1000}', signedBody: '{"amount":100}' },
      'signature_mismatch',
    ],
    ['a tampered path', { path: '/signed/refunds', body: '{}', signedPath: '/signed/orders' }, 'signature_mismatch'],
    [
      'a tampered query',
      { method: 'GET', path: '/signed/report?from=1999', signedPath: '/signed/report?from=2024' },
      'signature_mismatch',
    ],
    [
      'an old timestamp',
      { path: '/signed/orders', body: '{}', timestamp: Math.floor(Date.now() / 1000) - 400 },
      'timestamp_too_old',
    ],
    [
      'a future timestamp',
      { path: '/signed/orders', body: '{}', timestamp: Math.floor(Date.now() / 1000) + 400 },
      'timestamp_in_future',
    ],
    [
      'an unknown key id',
      { path: '/signed/orders', body: '{}', key: { keyId: 'k9', secret: NEW_KEY.secret } },
      'unknown_key_id',
    ],
    [
      'a wrong secret',
      { path: '/signed/orders', body: '{}', key: { keyId: 'k2', secret: OLD_KEY.secret } },
      'signature_mismatch',
    ],
    ['a short nonce', { path: '/signed/orders', body: '{}', nonce: 'abc' }, 'nonce_malformed'],
  ])('refuses %s with 401 INVALID_SIGNATURE', async (_name, opts, reason) => {
    const res = await send(opts);
    expect(res.status).toBe(401);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 401, code: 'INVALID_SIGNATURE', message: 'Invalid request signature' });
    expect(JSON.stringify(body)).not.toMatch(/mismatch|timestamp|key/i);
    expect(lastReason()).toBe(reason);
  });

  it('refuses a replayed nonce', async () => {
    const nonce = `replay-${adapter}-${Date.now()}`;
    const timestamp = now();
    expect((await send({ path: '/signed/orders', body: '{}', nonce, timestamp })).status).toBe(201);
    const replay = await send({ path: '/signed/orders', body: '{}', nonce, timestamp });
    expect(replay.status).toBe(401);
    expect(lastReason()).toBe('nonce_replayed');
  });

  it('refuses a request without signature headers', async () => {
    const res = await fetch(`${url}/signed/orders`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(401);
    expect(lastReason()).toBe('signature_missing');
  });

  it('requires signatures under signing.paths unless a route opts out', async () => {
    expect((await fetch(`${url}/internal/stats`)).status).toBe(401);
    expect((await send({ method: 'GET', path: '/internal/stats' })).status).toBe(200);
    expect((await fetch(`${url}/internal/ping`)).status).toBe(200);
    expect((await fetch(`${url}/signed/open`)).status).toBe(200);
  });

  it.each(['/INTERNAL/stats', '/Internal/stats', '/%69nternal/stats', '/internal/%73tats'])(
    'never serves %s unsigned, however the router normalizes it',
    async (path) => {
      const res = await fetch(`${url}${path}`);
      // Either the router does not match it (404) or it does and the signature is required (401).
      expect([401, 404]).toContain(res.status);
    },
  );
});

describe.each(ADAPTERS)('request signing fails closed (%s)', (adapter) => {
  it('answers 503 when the nonce store is down', async () => {
    const events: SecurityEvent[] = [];
    const storage = await createTestRedisStorage(`signing-down-${adapter}`, 200);
    const { app, url } = await bootApp(adapter, appModule(storage, events) as never);
    try {
      await storage.close();
      const signature = signRequest({ method: 'POST', url: '/signed/refunds', ...NEW_KEY, body: '' });
      const res = await fetch(`${url}/signed/refunds`, { method: 'POST', headers: signature });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      await app.close();
    }
  });
});
