import { randomBytes, sign as derSign } from 'node:crypto';
import { Body, Controller, Get, Module, Post, type INestApplication } from '@nestjs/common';
import {
  AllowSensitiveFields,
  ApiKeyService,
  Auth,
  CurrentPrincipal,
  Public,
  Scopes,
  SecurityModule,
  TokenService,
  type Principal,
  type SecurityEvent,
  type SecurityModuleOptions,
  type SecurityStorage,
  type TokenPair,
} from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { createTestRedisStorage } from '../utils/redis';
import {
  b64,
  ecPair,
  ecSigner,
  edPair,
  edSigner,
  forge,
  hmacSigner,
  now,
  pssSigner,
  rsaPair,
  rsaSigner,
} from './auth-helpers';

const SECRET = randomBytes(48).toString('base64url');
const SECRET_2 = randomBytes(48).toString('base64url');
const rs = rsaPair();
const ps = rsaPair();
const es = ecPair();
const ed = edPair();
const ISS = 'https://issuer.test';
const AUD = 'api://test';
const RS_PEM = rs.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const events: SecurityEvent[] = [];

@Controller('auth-e2e')
class AuthTestController {
  constructor(
    private readonly tokens: TokenService,
    private readonly apiKeys: ApiKeyService,
  ) {}

  @Get('me')
  me(@CurrentPrincipal() principal: Principal) {
    return principal;
  }

  @Public()
  @Get('public')
  open(@CurrentPrincipal() principal?: Principal) {
    return { principal: principal ?? null };
  }

  @Auth('api-key')
  @Get('key-only')
  keyOnly(@CurrentPrincipal() principal: Principal) {
    return principal;
  }

  @Auth(['jwt', 'api-key'])
  @Scopes('reports:read')
  @Get('reports')
  reports(@CurrentPrincipal('id') id: string) {
    return { id };
  }

  // The response filter strips `refreshToken` everywhere unless a route allows it.
  @AllowSensitiveFields('refreshToken')
  @Public()
  @Post('login')
  login(@Body() body: { user: string; scopes?: string[] }) {
    return this.tokens.issue({
      id: body.user,
      roles: ['user'],
      scopes: body.scopes,
      tier: 'paid',
      claims: { department: 'sales' },
    });
  }

  @AllowSensitiveFields('refreshToken')
  @Public()
  @Post('refresh')
  refresh(@Body() body: { refreshToken: string }) {
    return this.tokens.refresh(body.refreshToken);
  }

  @Post('logout')
  async logout(@Body() body: { accessToken?: string; refreshToken?: string }) {
    await this.tokens.logout(body);
    return { ok: true };
  }

  @Post('api-keys')
  async createKey(@CurrentPrincipal('id') ownerId: string, @Body() body: { scopes?: string[] }) {
    return this.apiKeys.create({ ownerId, scopes: body.scopes, roles: ['service'] });
  }
}

function options(storage: SecurityStorage | undefined, grace: number): SecurityModuleOptions {
  return {
    storage: storage ?? { type: 'memory' },
    events: { logger: false, sinks: [(e) => events.push(e)] },
    // This suite sends hundreds of requests from one IP; rate limits have their own suite.
    rateLimit: { enabled: false },
    auth: {
      jwt: {
        keys: [
          { kid: 'hs1', alg: 'HS256', secret: SECRET },
          { kid: 'hs2', alg: 'HS512', secret: SECRET_2 },
          { kid: 'rs1', alg: 'RS256', publicKey: RS_PEM },
          { kid: 'ps1', alg: 'PS256', publicKey: ps.publicKey },
          { kid: 'ed1', alg: 'EdDSA', publicKey: ed.publicKey.export({ format: 'jwk' }) },
        ],
        jwks: { keys: [{ ...es.publicKey.export({ format: 'jwk' }), kid: 'es1', alg: 'ES256' }] },
        signingKid: 'hs1',
        issuer: ISS,
        audience: AUD,
        cookie: 'access_token',
        refreshGraceSec: grace,
      },
      apiKeys: { pepper: randomBytes(32) },
    },
  };
}

function appModule(storage: SecurityStorage | undefined, grace: number) {
  @Module({ imports: [SecurityModule.forRoot(options(storage, grace))], controllers: [AuthTestController] })
  class AuthAppModule {}
  return AuthAppModule;
}

const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'user-1',
  iss: ISS,
  aud: AUD,
  iat: now(),
  exp: now() + 300,
  jti: randomBytes(8).toString('hex'),
  ...extra,
});
const hs = (payload = claims(), header: Record<string, unknown> = {}) =>
  forge({ alg: 'HS256', typ: 'JWT', kid: 'hs1', ...header }, payload, hmacSigner(SECRET));

/** Every refusal the attack corpus must turn into 401, with the reason the audit event records. */
function corpus(): Array<[string, () => string, string]> {
  const good = hs();
  const [h, p] = good.split('.');
  return [
    ['alg none, empty signature', () => forge({ alg: 'none', typ: 'JWT' }, claims()), 'malformed'],
    ['alg none with a signature', () => `${b64({ alg: 'none', kid: 'hs1' })}.${b64(claims())}.AAAA`, 'alg_none'],
    ['alg NoNe (case games)', () => `${b64({ alg: 'NoNe' })}.${b64(claims())}.AAAA`, 'alg_none'],
    [
      'HS256 MACed with the RSA public key (kid rs1)',
      () => forge({ alg: 'HS256', kid: 'rs1' }, claims(), hmacSigner(RS_PEM)),
      'alg_not_allowed',
    ],
    [
      'HS256 MACed with the RSA public key (no kid)',
      () => forge({ alg: 'HS256' }, claims(), hmacSigner(RS_PEM)),
      'unknown_kid',
    ],
    [
      'RS256 header on an HS key',
      () => forge({ alg: 'RS256', kid: 'hs1' }, claims(), rsaSigner(rs.privateKey)),
      'alg_not_allowed',
    ],
    [
      'HS384 downgrade on the HS512 key',
      () => forge({ alg: 'HS384', kid: 'hs2' }, claims(), hmacSigner(SECRET_2, 'sha384')),
      'alg_not_allowed',
    ],
    [
      'unsupported alg',
      () => forge({ alg: 'HS1', kid: 'hs1' }, claims(), hmacSigner(SECRET, 'sha1')),
      'alg_not_allowed',
    ],
    ['unknown crit header', () => hs(claims(), { crit: ['exp'], exp: 1 }), 'unknown_crit'],
    [
      'embedded jwk',
      () => {
        const attacker = rsaPair();
        return forge(
          { alg: 'RS256', jwk: attacker.publicKey.export({ format: 'jwk' }) },
          claims(),
          rsaSigner(attacker.privateKey),
        );
      },
      'embedded_key',
    ],
    ['jku pointing elsewhere', () => hs(claims(), { jku: 'https://evil.test/jwks.json' }), 'embedded_key'],
    ['x5u pointing elsewhere', () => hs(claims(), { x5u: 'https://evil.test/cert.pem' }), 'embedded_key'],
    [
      'kid path traversal',
      () => forge({ alg: 'HS256', kid: '../../../../dev/null' }, claims(), hmacSigner('')),
      'unknown_kid',
    ],
    [
      'kid SQL injection',
      () => forge({ alg: 'HS256', kid: "x' UNION SELECT 'key" }, claims(), hmacSigner('key')),
      'invalid_kid',
    ],
    ['unknown kid', () => forge({ alg: 'HS256', kid: 'nope' }, claims(), hmacSigner(SECRET)), 'unknown_kid'],
    [
      'tampered payload',
      () =>
        `${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), roles: ['admin'] })}.${good.split('.')[2]}`,
      'bad_signature',
    ],
    [
      'signed with another secret',
      () => forge({ alg: 'HS256', kid: 'hs1' }, claims(), hmacSigner(randomBytes(32))),
      'bad_signature',
    ],
    ['expired', () => hs(claims({ exp: now() - 120, iat: now() - 600 })), 'expired'],
    ['not yet valid', () => hs(claims({ nbf: now() + 120 })), 'not_yet_valid'],
    ['issued in the future', () => hs(claims({ iat: now() + 120 })), 'issued_in_future'],
    ['no exp', () => hs(claims({ exp: undefined })), 'missing_claim'],
    ['no sub', () => hs(claims({ sub: undefined })), 'missing_claim'],
    ['wrong issuer', () => hs(claims({ iss: 'https://evil.test' })), 'issuer_mismatch'],
    ['wrong audience', () => hs(claims({ aud: 'api://other' })), 'audience_mismatch'],
    ['refresh token typ as access token', () => hs(claims(), { typ: 'rt+jwt' }), 'wrong_type'],
    ['refresh token_use as access token', () => hs(claims({ token_use: 'refresh' })), 'wrong_type'],
    ['garbage', () => 'not-a-jwt', 'malformed'],
    [
      'duplicate sub claim (parser differential)',
      () => {
        const input = `${b64({ alg: 'HS256', kid: 'hs1' })}.${b64(`{"sub":"admin","iss":"${ISS}","aud":"${AUD}","exp":${now() + 60},"sub":"user-1"}`)}`;
        return `${input}.${hmacSigner(SECRET)(input).toString('base64url')}`;
      },
      'malformed',
    ],
    ['non-base64url characters', () => `${h}.${p}!.${good.split('.')[2]}`, 'malformed'],
    [
      'ES256 signature in DER form',
      () => forge({ alg: 'ES256', kid: 'es1' }, claims(), (i) => derSign('sha256', Buffer.from(i), es.privateKey)),
      'bad_signature',
    ],
  ];
}

const stores = ['memory', 'redis', 'redis-cluster'] as const;
/** The Redis deployment a store name runs on (memory: none). */
const targetOf = (store: (typeof stores)[number]) => (store === 'redis-cluster' ? 'cluster' : 'standalone');
const matrix = ADAPTERS.flatMap((adapter) => stores.map((store) => [adapter, store] as const));

describe.each(matrix)('authentication (%s, %s store)', (adapter, store) => {
  let app: INestApplication;
  let url: string;
  let storage: SecurityStorage | undefined;
  let seq = 0;

  beforeAll(async () => {
    storage = store === 'memory' ? undefined : await createTestRedisStorage(`auth-${adapter}`, 1_000, targetOf(store));
    ({ app, url } = await bootApp(adapter, appModule(storage, 10)));
  });
  afterAll(async () => {
    await app.close();
    await storage?.close();
  });

  async function call(path: string, init: { token?: string; headers?: Record<string, string>; body?: unknown } = {}) {
    const requestId = `auth-${adapter}-${store}-${++seq}`;
    const headers: Record<string, string> = { 'X-Request-ID': requestId, ...init.headers };
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const failure = events.find((e) => e.requestId === requestId && e.type === 'AUTH_FAILED');
    return { status: res.status, body, headers: res.headers, reason: failure?.reason };
  }

  const login = async (user = 'user-1', scopes?: string[]) =>
    (await call('/auth-e2e/login', { body: { user, scopes } })).body as unknown as TokenPair;

  it('401 without a token, with a bare Bearer challenge and a generic message', async () => {
    const res = await call('/auth-e2e/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer, ApiKey');
    expect(res.body).toMatchObject({ code: 'AUTHENTICATION_REQUIRED', message: 'Authentication required' });
    expect(res.reason).toBe('missing_credentials');
  });

  it.each(corpus())('401 for %s', async (_name, make, reason) => {
    const res = await call('/auth-e2e/me', { token: make() });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'INVALID_TOKEN', message: 'Invalid or expired token' });
    expect(res.headers.get('www-authenticate')).toContain('Bearer error="invalid_token"');
    expect(res.reason).toBe(reason);
  });

  it('never reads a token from the query string', async () => {
    const res = await call(`/auth-e2e/me?access_token=${hs()}`);
    expect(res.status).toBe(401);
    expect(res.reason).toBe('missing_credentials');
  });

  it.each([
    ['HS256 (hs1)', () => hs()],
    [
      'HS512 (hs2, a rotated-in key)',
      () => forge({ alg: 'HS512', kid: 'hs2' }, claims(), hmacSigner(SECRET_2, 'sha512')),
    ],
    ['RS256 (PEM)', () => forge({ alg: 'RS256', kid: 'rs1' }, claims(), rsaSigner(rs.privateKey))],
    ['PS256 (KeyObject)', () => forge({ alg: 'PS256', kid: 'ps1' }, claims(), pssSigner(ps.privateKey))],
    ['ES256 (local JWKS)', () => forge({ alg: 'ES256', kid: 'es1' }, claims(), ecSigner(es.privateKey))],
    ['EdDSA (JWK)', () => forge({ alg: 'EdDSA', kid: 'ed1' }, claims(), edSigner(ed.privateKey))],
    ['at+jwt typ', () => hs(claims(), { typ: 'at+jwt' })],
    [
      'an x5t thumbprint beside kid (Microsoft Entra ID tokens carry one)',
      () =>
        forge(
          { alg: 'RS256', typ: 'JWT', kid: 'rs1', x5t: 'nOo3ZDrODXEK1jKWhXslHR_KXEg', 'x5t#S256': 'x' },
          claims(),
          rsaSigner(rs.privateKey),
        ),
    ],
    ['exp within the 30 s clock tolerance', () => hs(claims({ exp: now() - 10 }))],
  ])('accepts %s and exposes the principal', async (_name, make) => {
    const res = await call('/auth-e2e/me', { token: make() });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ type: 'user', id: 'user-1', roles: [], scopes: [] });
  });

  it('maps roles, scopes (scope or scp), tier and jti into the principal; accepts it again from the cache', async () => {
    const token = hs(claims({ roles: ['editor'], scp: ['a', 'b'], tier: 'paid', jti: 'j-1' }));
    for (let i = 0; i < 2; i++) {
      const res = await call('/auth-e2e/me', { token });
      expect(res.body).toMatchObject({ roles: ['editor'], scopes: ['a', 'b'], tier: 'paid', credentialId: 'j-1' });
    }
  });

  it('reads the cookie only because it is configured', async () => {
    const res = await call('/auth-e2e/me', { headers: { Cookie: `other=1; access_token=${hs()}` } });
    expect(res.status).toBe(200);
  });

  it('never takes the cookie as a credential on a cross-site write (CSRF), only on same-site ones', async () => {
    const cookie = { Cookie: `access_token=${hs()}` };
    const post = (headers: Record<string, string>) =>
      fetch(`${url}/auth-e2e/logout`, {
        method: 'POST',
        headers: { ...cookie, 'Content-Type': 'application/json', 'X-Request-ID': `csrf-${++seq}`, ...headers },
        body: '{}',
      });
    const crossSite: Array<Record<string, string>> = [{ 'Sec-Fetch-Site': 'cross-site' }, { Origin: 'null' }];
    for (const headers of crossSite) {
      const res = await post(headers);
      expect(res.status).toBe(401);
      expect(events.some((e) => e.requestId === `csrf-${seq}` && e.reason === 'cookie_cross_site')).toBe(true);
    }
    expect((await post({ 'Sec-Fetch-Site': 'same-site' })).status).toBe(201);
    // A cross-site GET is not a write: the cookie still works there.
    const read = await call('/auth-e2e/me', { headers: { ...cookie, 'Sec-Fetch-Site': 'cross-site' } });
    expect(read.status).toBe(200);
  });

  it('treats a malformed percent-encoded cookie as a bad credential, never a 500', async () => {
    const cookie = { Cookie: 'access_token=%E0%A4%A' };
    const res = await call('/auth-e2e/me', { headers: cookie });
    expect(res.status).toBe(401);
    expect(res.reason).toBe('malformed');
    expect((await call('/auth-e2e/public', { headers: cookie })).status).toBe(200);
  });

  it('public routes attach a valid principal and ignore absent or invalid credentials', async () => {
    expect((await call('/auth-e2e/public')).body).toEqual({ principal: null });
    expect((await call('/auth-e2e/public', { token: 'garbage' })).body).toEqual({ principal: null });
    expect((await call('/auth-e2e/public', { token: hs() })).body).toMatchObject({ principal: { id: 'user-1' } });
  });

  describe('issued tokens, refresh rotation and revocation', () => {
    it('issues a pair whose access token authenticates with roles, tier and custom claims', async () => {
      const pair = await login('alice');
      expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 604800 });
      const me = await call('/auth-e2e/me', { token: pair.accessToken });
      expect(me.body).toMatchObject({
        id: 'alice',
        roles: ['user'],
        tier: 'paid',
        claims: { department: 'sales', iss: ISS },
      });
    });

    it('never accepts the refresh token as an access token', async () => {
      const pair = await login('alice');
      const res = await call('/auth-e2e/me', { token: pair.refreshToken });
      expect(res.status).toBe(401);
      expect(res.reason).toBe('wrong_type');
    });

    it('never accepts an access token as a refresh token', async () => {
      const pair = await login('alice');
      const res = await call('/auth-e2e/refresh', { body: { refreshToken: pair.accessToken } });
      expect(res.status).toBe(401);
    });

    it('rotates: the new pair works, the family keeps its absolute expiry', async () => {
      const first = await login('bob');
      const res = await call('/auth-e2e/refresh', { body: { refreshToken: first.refreshToken } });
      expect(res.status).toBe(201);
      const second = res.body as unknown as TokenPair;
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect((await call('/auth-e2e/me', { token: second.accessToken })).status).toBe(200);
      const exp = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()).exp as number;
      expect(exp(second.refreshToken)).toBeGreaterThanOrEqual(exp(first.refreshToken));
    });

    it('reuse of a retired refresh token revokes the whole family (access tokens too)', async () => {
      const r0 = await login('carol');
      const r1 = (await call('/auth-e2e/refresh', { body: { refreshToken: r0.refreshToken } }))
        .body as unknown as TokenPair;
      const r2 = (await call('/auth-e2e/refresh', { body: { refreshToken: r1.refreshToken } }))
        .body as unknown as TokenPair;
      expect((await call('/auth-e2e/me', { token: r2.accessToken })).status).toBe(200);

      const reuse = await call('/auth-e2e/refresh', { body: { refreshToken: r0.refreshToken } });
      expect(reuse.status).toBe(401);
      expect(events.some((e) => e.type === 'REFRESH_REUSE_DETECTED' && e.principalId === 'carol')).toBe(true);

      expect((await call('/auth-e2e/refresh', { body: { refreshToken: r2.refreshToken } })).status).toBe(401);
      const me = await call('/auth-e2e/me', { token: r2.accessToken });
      expect(me.status).toBe(401);
      expect(me.reason).toBe('revoked');
    });

    it('lets the immediately previous refresh token be retried once within the grace window', async () => {
      const r0 = await login('dave');
      expect((await call('/auth-e2e/refresh', { body: { refreshToken: r0.refreshToken } })).status).toBe(201);
      const retry = await call('/auth-e2e/refresh', { body: { refreshToken: r0.refreshToken } });
      expect(retry.status).toBe(201);
      expect((await call('/auth-e2e/refresh', { body: { refreshToken: r0.refreshToken } })).status).toBe(401);
      expect(events.some((e) => e.type === 'REFRESH_REUSE_DETECTED' && e.principalId === 'dave')).toBe(true);
    });

    it('a grace retry does not retire the token the first caller got (two tabs keep the session)', async () => {
      const r0 = await login('tabs');
      const tab1 = await call('/auth-e2e/refresh', { body: { refreshToken: r0.refreshToken } });
      const tab2 = await call('/auth-e2e/refresh', { body: { refreshToken: r0.refreshToken } });
      expect([tab1.status, tab2.status]).toEqual([201, 201]);
      // Tab 1 refreshes again later with the token it got: still the family's current token.
      const next = await call('/auth-e2e/refresh', {
        body: { refreshToken: (tab1.body as unknown as TokenPair).refreshToken },
      });
      expect(next.status).toBe(201);
      expect(events.some((e) => e.type === 'REFRESH_REUSE_DETECTED' && e.principalId === 'tabs')).toBe(false);
      const me = await call('/auth-e2e/me', { token: (next.body as unknown as TokenPair).accessToken });
      expect(me.status).toBe(200);
    });

    it('logout revokes the access token and the session', async () => {
      const pair = await login('erin');
      const out = await call('/auth-e2e/logout', { token: pair.accessToken, body: { accessToken: pair.accessToken } });
      expect(out.status).toBe(201);
      const me = await call('/auth-e2e/me', { token: pair.accessToken });
      expect(me.status).toBe(401);
      expect(me.reason).toBe('revoked');
      expect((await call('/auth-e2e/refresh', { body: { refreshToken: pair.refreshToken } })).status).toBe(401);
    });

    it('revoking a subject kills its earlier tokens', async () => {
      const pair = await login('frank');
      await app.get(TokenService).revokeSubject('frank');
      expect((await call('/auth-e2e/me', { token: pair.accessToken })).reason).toBe('revoked');
    });
  });

  describe('API keys', () => {
    async function createKey(scopes?: string[]): Promise<{ key: string; info: { id: string } }> {
      const pair = await login('owner-1');
      const res = await call('/auth-e2e/api-keys', { token: pair.accessToken, body: { scopes } });
      expect(res.status).toBe(201);
      return res.body as unknown as { key: string; info: { id: string } };
    }

    it('creates a key shown once, in the scanner-friendly format, and never returns its hash', async () => {
      const created = await createKey();
      expect(created.key).toMatch(/^sk_live_[0-9A-Za-z]{44}_[0-9A-Za-z]{6}$/);
      expect(JSON.stringify(created)).not.toContain('hash');
    });

    it.each([
      ['X-API-Key', (key: string) => ({ 'X-API-Key': key })],
      ['Authorization: ApiKey', (key: string) => ({ Authorization: `ApiKey ${key}` })],
    ])('authenticates from %s', async (_name, headers) => {
      const { key, info } = await createKey();
      const res = await call('/auth-e2e/key-only', { headers: headers(key) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ type: 'api-key', id: 'owner-1', roles: ['service'], credentialId: info.id });
    });

    it('refuses a key in the query string with 400 API_KEY_IN_QUERY', async () => {
      const { key } = await createKey();
      for (const path of [`/auth-e2e/key-only?api_key=${key}`, `/auth-e2e/key-only?q=${key}`]) {
        const res = await call(path);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('API_KEY_IN_QUERY');
        expect(String(res.body.message)).toMatch(/logs/);
      }
    });

    it.each([
      ['a bad checksum', (key: string) => key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'), 'malformed'],
      ['a well-formed unknown key', () => 'sk_live_' + 'a'.repeat(44), 'malformed'],
      ['another prefix', (key: string) => key.replace('sk_live', 'sk_prod'), 'malformed'],
    ])('401 INVALID_API_KEY for %s', async (_name, mutate, reason) => {
      const { key } = await createKey();
      const res = await call('/auth-e2e/key-only', { headers: { 'X-API-Key': mutate(key) } });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('INVALID_API_KEY');
      expect(res.headers.get('www-authenticate')).toBe('ApiKey error="invalid_key"');
      expect(res.reason).toBe(reason);
    });

    it('401 for a revoked key, for an expired key, and for a JWT on an API-key-only route', async () => {
      const service = app.get(ApiKeyService);
      const { key, info } = await createKey();
      await service.revoke(info.id);
      expect((await call('/auth-e2e/key-only', { headers: { 'X-API-Key': key } })).reason).toBe('revoked');

      const short = await service.create({ ownerId: 'o', expiresInSec: 1 });
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await call('/auth-e2e/key-only', { headers: { 'X-API-Key': short.key } })).reason).toBe('expired');

      const jwt = await call('/auth-e2e/key-only', { token: hs() });
      expect(jwt.status).toBe(401);
      expect(jwt.headers.get('www-authenticate')).toBe('ApiKey');
    });

    it('rotation keeps the old key working during the overlap only', async () => {
      const service = app.get(ApiKeyService);
      const { key, info } = await createKey();
      const withOverlap = await service.rotate(info.id, 60);
      expect((await call('/auth-e2e/key-only', { headers: { 'X-API-Key': key } })).status).toBe(200);
      expect((await call('/auth-e2e/key-only', { headers: { 'X-API-Key': withOverlap.key } })).status).toBe(200);
      const now2 = await service.rotate(withOverlap.info.id, 0);
      expect((await call('/auth-e2e/key-only', { headers: { 'X-API-Key': withOverlap.key } })).reason).toBe('expired');
      expect((await call('/auth-e2e/key-only', { headers: { 'X-API-Key': now2.key } })).status).toBe(200);
      expect((await service.get(now2.info.id))?.rotatedFrom).toBe(withOverlap.info.id);
    });

    it('@Scopes: 403 INSUFFICIENT_SCOPE without the scope, 200 with it (key or token)', async () => {
      const without = await createKey(['other']);
      const denied = await call('/auth-e2e/reports', { headers: { 'X-API-Key': without.key } });
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('INSUFFICIENT_SCOPE');
      const withScope = await createKey(['reports:read']);
      expect((await call('/auth-e2e/reports', { headers: { 'X-API-Key': withScope.key } })).status).toBe(200);
      const pair = await login('gina', ['reports:read']);
      expect((await call('/auth-e2e/reports', { token: pair.accessToken })).status).toBe(200);
      const noScope = await call('/auth-e2e/reports', { token: hs() });
      expect(noScope.status).toBe(403);
      expect(noScope.headers.get('www-authenticate')).toContain('insufficient_scope');
    });
  });

  it('concurrent refreshes with one token: exactly one winner (no grace window)', async () => {
    const strictStorage =
      store === 'memory' ? undefined : await createTestRedisStorage(`auth-cc-${adapter}`, 1_000, targetOf(store));
    const strict = await bootApp(adapter, appModule(strictStorage, 0));
    try {
      const pair = (await (
        await fetch(`${strict.url}/auth-e2e/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ user: 'racer' }),
        })
      ).json()) as TokenPair;
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          fetch(`${strict.url}/auth-e2e/refresh`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ refreshToken: pair.refreshToken }),
          }).then((r) => r.status),
        ),
      );
      expect(results.filter((s) => s === 201)).toHaveLength(1);
      expect(results.filter((s) => s === 401)).toHaveLength(7);
    } finally {
      await strict.app.close();
      await strictStorage?.close();
    }
  });
});
