import { randomBytes } from 'node:crypto';
import { Body, Controller, Get, Module, Post, type INestApplication } from '@nestjs/common';
import { SignJWT } from 'jose';
import {
  AllowSensitiveFields,
  ApiKeyService,
  Auth,
  CurrentPrincipal,
  Public,
  SecurityModule,
  TokenService,
  type Principal,
  type SecurityProfile,
} from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

/**
 * API keys minted from a session: a recent login is needed (auth_time, which refreshes keep), the
 * key's lifetime is capped, it dies with its session or subject, and test keys stay out of
 * production.
 */
const SECRET = randomBytes(48);

@Controller('keys')
class KeysController {
  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly tokens: TokenService,
  ) {}

  @AllowSensitiveFields('refreshToken')
  @Public()
  @Post('login')
  login(@Body() body: { user: string }) {
    return this.tokens.issue({ id: body.user });
  }

  @Auth(['jwt', 'api-key'])
  @Post()
  mint(@CurrentPrincipal() principal: Principal, @Body() body: { prefix?: string; expiresInSec?: number }) {
    return this.apiKeys.createFor(principal, body);
  }

  @Auth(['jwt', 'api-key'])
  @Get('me')
  me(@CurrentPrincipal() principal: Principal) {
    return { id: principal.id, type: principal.type };
  }
}

function appModule(profile: SecurityProfile) {
  @Module({
    imports: [
      SecurityModule.forRoot({
        profile,
        events: { logger: false },
        rateLimit: { enabled: false },
        auth: {
          jwt: { secret: SECRET },
          apiKeys: { pepper: randomBytes(32), maxLifetimeSec: 86_400, mintMaxLoginAgeSec: 120 },
        },
      }),
    ],
    controllers: [KeysController],
  })
  class KeysAppModule {}
  return KeysAppModule;
}

describe.each(ADAPTERS)('API keys minted from a session (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, appModule('development')));
  });
  afterAll(() => app.close());

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/keys${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const me = async (key: string) => (await fetch(`${url}/keys/me`, { headers: { 'x-api-key': key } })).status;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  /** An access token from a login `ageSec` ago (the verifier only checks exp for freshness). */
  const tokenFromLoginAgo = (ageSec: number, claims: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub: 'old-login', iat: now, auth_time: now - ageSec, ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now + 300)
      .sign(SECRET);
  };

  it('mints from a fresh login; refuses a login older than mintMaxLoginAgeSec with 401 RECENT_LOGIN_REQUIRED', async () => {
    const fresh = await post('', {}, bearer(await tokenFromLoginAgo(5)));
    expect(fresh.status).toBe(201);
    const stale = await post('', {}, bearer(await tokenFromLoginAgo(600)));
    expect(stale).toEqual({
      status: 401,
      body: expect.objectContaining({
        code: 'RECENT_LOGIN_REQUIRED',
        message: expect.stringMatching(/login from the last 2 minutes/),
      }),
    });
    // Without auth_time, iat counts (an old iat is an old login).
    const old = Math.floor(Date.now() / 1000) - 600;
    const noAuthTime = await new SignJWT({ sub: 'x', iat: old })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(SECRET);
    expect((await post('', {}, bearer(noAuthTime))).body).toMatchObject({ code: 'RECENT_LOGIN_REQUIRED' });
  });

  it('keeps auth_time across refreshes (a refresh is not a login)', async () => {
    const login = (await post('/login', { user: 'rita' })).body as { accessToken: string; refreshToken: string };
    const tokens = app.get(TokenService);
    await new Promise((r) => setTimeout(r, 1100));
    const refreshed = await tokens.refresh(login.refreshToken);
    const claims = (t: string) =>
      JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()) as Record<string, number>;
    expect(claims(refreshed.accessToken).auth_time).toBe(claims(login.accessToken).auth_time);
    expect(claims(refreshed.accessToken).iat).toBeGreaterThan(claims(login.accessToken).auth_time);
  });

  it('an API key cannot mint keys (403); lifetimes above maxLifetimeSec are refused (400) and the default is the max', async () => {
    const login = (await post('/login', { user: 'sam' })).body as { accessToken: string };
    const created = await post('', {}, bearer(login.accessToken));
    const info = created.body.info as { createdAt: number; expiresAt: number; sessionId: string };
    expect(info.expiresAt - info.createdAt).toBe(86_400_000);
    expect(info.sessionId).toEqual(expect.any(String));
    expect((await post('', {}, { 'x-api-key': created.body.key as string })).status).toBe(403);
    expect(await post('', { expiresInSec: 86_401 }, bearer(login.accessToken))).toMatchObject({
      status: 400,
      body: { code: 'BAD_REQUEST' },
    });
  });

  it('revoking the session or the subject revokes the keys minted in it', async () => {
    const tokens = app.get(TokenService);
    const first = (await post('/login', { user: 'tom' })).body as { accessToken: string };
    const second = (await post('/login', { user: 'tom' })).body as { accessToken: string };
    const k1 = (await post('', {}, bearer(first.accessToken))).body.key as string;
    const k2 = (await post('', {}, bearer(second.accessToken))).body.key as string;
    const sid = JSON.parse(Buffer.from(first.accessToken.split('.')[1], 'base64url').toString()).sid as string;
    await tokens.revokeSession('tom', sid);
    expect(await me(k1)).toBe(401);
    expect(await me(k2)).toBe(200);
    await tokens.revokeSubject('tom');
    expect(await me(k2)).toBe(401);
  });

  it('creates and accepts sk_test keys outside production', async () => {
    const login = (await post('/login', { user: 'uma' })).body as { accessToken: string };
    const created = await post('', { prefix: 'sk_test' }, bearer(login.accessToken));
    expect(created.status).toBe(201);
    expect(await me(created.body.key as string)).toBe(200);
  });
});

describe.each(ADAPTERS)('test keys in production (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, appModule('production')));
  });
  afterAll(() => app.close());

  it('refuses to mint an sk_test key (400) but mints sk_live', async () => {
    const { accessToken } = await app.get(TokenService).issue({ id: 'vic' });
    const mint = (prefix: string) =>
      fetch(`${url}/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ prefix }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    expect(await mint('sk_test')).toMatchObject({
      status: 400,
      body: { code: 'BAD_REQUEST', message: expect.stringMatching(/test keys \(sk_test\) are refused in production/) },
    });
    const live = await mint('sk_live');
    expect(live.status).toBe(201);
    const res = await fetch(`${url}/keys/me`, { headers: { 'x-api-key': live.body.key as string } });
    expect(res.status).toBe(200);
  });
});
