import { randomBytes } from 'node:crypto';
import { Body, Controller, Delete, Get, Module, Post, Req, type INestApplication } from '@nestjs/common';
import { decodeJwt, SignJWT } from 'jose';
import {
  AllowSensitiveFields,
  ApiKeyService,
  Auth,
  CurrentPrincipal,
  Public,
  RequireMfa,
  SecurityModule,
  TokenService,
  TotpService,
  type Principal,
  type SecurityEvent,
  type SecurityModuleOptions,
} from 'nestjs-rampart';
import { totpCode } from '../../src/auth/mfa/totp.util';
import { AppModule as SampleAppModule } from '../../sample-app/src/app.module';
import { sampleLogin, sampleStepUp } from '../fixtures/sample-login';
import { ADAPTERS, bootApp } from '../utils/app';
import { redisUrl, uniquePrefix } from '../utils/redis';

/**
 * Step-up MFA: `@RequireMfa()` answers 401 MFA_REQUIRED with an RFC 9470 challenge until the caller
 * steps up with a TOTP code (`TotpService.verify` + `TokenService.stepUp`), then lets it through
 * for `maxAgeSec`; codes are single-use, bad ones get stable codes, and the sample app's deletes
 * and /admin routes need the step-up.
 */
const JWT_SECRET = randomBytes(48);
// DEMO ONLY: the fixture's one TOTP secret (every user shares it; replay records are per user).
const TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const TOTP = { algorithm: 'SHA1', digits: 6, periodSec: 30 } as const;
const code = (offsetSteps = 0) => totpCode(TOTP_SECRET, TOTP, Date.now() + offsetSteps * 30_000);

@Controller('mfa')
class MfaController {
  constructor(
    private readonly tokens: TokenService,
    private readonly totp: TotpService,
    private readonly apiKeys: ApiKeyService,
  ) {}

  @Public()
  @AllowSensitiveFields('refreshToken')
  @Post('login')
  login(@Body() body: { user: string }) {
    return this.tokens.issue({ id: body.user }, {}, { amr: ['pwd'] });
  }

  @Public()
  @AllowSensitiveFields('refreshToken')
  @Post('refresh')
  refresh(@Body() body: { refreshToken: string }) {
    return this.tokens.refresh(body.refreshToken);
  }

  @Auth('jwt')
  @AllowSensitiveFields('refreshToken')
  @Post('step-up')
  async stepUp(@CurrentPrincipal() principal: Principal, @Body() body: { code: unknown }, @Req() req: unknown) {
    await this.totp.verify(principal.id, TOTP_SECRET, body.code, { request: req });
    return this.tokens.stepUp(principal, ['otp'], { request: req });
  }

  @Auth(['jwt', 'api-key'])
  @Post('api-key')
  mint(@CurrentPrincipal() principal: Principal) {
    return this.apiKeys.createFor(principal, {});
  }

  @Get('open')
  open() {
    return { ok: true };
  }

  @RequireMfa({ maxAgeSec: 60 })
  @Delete('thing')
  remove() {
    return { deleted: true };
  }
}

/** Controller-level step-up (10 minutes); one handler asks for a fresher one (handler wins). */
@RequireMfa({ maxAgeSec: 600 })
@Controller('vault')
class VaultController {
  @Auth(['jwt', 'api-key'])
  @Get('read')
  read() {
    return { ok: true };
  }

  @RequireMfa({ maxAgeSec: 30 })
  @Get('fresh')
  fresh() {
    return { ok: true };
  }
}

const events: SecurityEvent[] = [];
const PEPPER = randomBytes(32);

/** The fixture app; on memory storage unless `storage` names a shared one. */
function mfaAppModule(storage?: SecurityModuleOptions['storage']) {
  @Module({
    imports: [
      SecurityModule.forRoot({
        ...(storage ? { storage } : {}),
        events: { logger: false, sinks: [(e) => events.push(e)] },
        rateLimit: { enabled: false },
        auth: {
          jwt: { secret: JWT_SECRET, issuer: 'mfa-test' },
          apiKeys: { pepper: PEPPER, mintMaxLoginAgeSec: 120 },
          mfa: { totp: { maxAttempts: 4 } },
        },
      }),
    ],
    controllers: [MfaController, VaultController],
  })
  class MfaAppModule {}
  return MfaAppModule;
}

describe.each(ADAPTERS)('step-up MFA (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let users = 0;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, mfaAppModule()));
  });
  afterAll(() => app.close());
  afterEach(() => jest.restoreAllMocks());

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      json: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  };
  /** A fresh user per test: replay records and attempt counts are per user. */
  const login = async () => {
    const res = await call('POST', '/mfa/login', undefined, { user: `user-${adapter}-${++users}` });
    expect(res.status).toBe(201);
    return res.json as { accessToken: string; refreshToken: string };
  };
  const stepUp = async (token: string, body: unknown = { code: code() }) => call('POST', '/mfa/step-up', token, body);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u-signed')
      .setIssuer('mfa-test')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(JWT_SECRET);

  it('refuses a login without step-up: 401 MFA_REQUIRED with an RFC 9470 challenge', async () => {
    const { accessToken } = await login();
    expect((await call('GET', '/mfa/open', accessToken)).status).toBe(200);
    const res = await call('DELETE', '/mfa/thing', accessToken);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ statusCode: 401, code: 'MFA_REQUIRED' });
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="Confirm with a second factor to do this", max_age=60',
    );
    expect(events.some((e) => e.type === 'MFA_REQUIRED' && e.reason === 'no_mfa')).toBe(true);
  });

  it('lets a stepped-up token through, with amr and auth_time, and keeps them across refreshes', async () => {
    const { accessToken, refreshToken } = await login();
    const before = decodeJwt(accessToken);
    expect(before.amr).toEqual(['pwd']);
    const res = await stepUp(accessToken);
    expect(res.status).toBe(201);
    const stepped = res.json as { accessToken: string; refreshToken: string };
    const claims = decodeJwt(stepped.accessToken);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.auth_time).toBeGreaterThanOrEqual(before.auth_time as number);
    expect(claims.sid).toBe(before.sid);
    expect((await call('DELETE', '/mfa/thing', stepped.accessToken)).json).toEqual({ deleted: true });
    // A refresh keeps the step-up (same auth_time and amr) ...
    const refreshed = await call('POST', '/mfa/refresh', undefined, { refreshToken: stepped.refreshToken });
    expect(refreshed.status).toBe(201);
    const again = decodeJwt((refreshed.json as { accessToken: string }).accessToken);
    expect({ amr: again.amr, auth_time: again.auth_time }).toEqual({ amr: claims.amr, auth_time: claims.auth_time });
    // ... but the refresh token held before the step-up was retired by it: presenting it is reuse.
    expect((await call('POST', '/mfa/refresh', undefined, { refreshToken })).status).toBe(401);
  });

  it('applies maxAgeSec from auth_time (injected clock): the handler’s own value wins over the controller’s', async () => {
    const { accessToken } = await login();
    const stepped = ((await stepUp(accessToken)).json as { accessToken: string }).accessToken;
    // The clock is set from the step-up's auth_time, so a stall between the calls changes nothing.
    const t0 = (decodeJwt(stepped).auth_time as number) * 1000;
    jest.spyOn(Date, 'now').mockReturnValue(t0 + 10_000);
    expect((await call('GET', '/vault/fresh', stepped)).status).toBe(200);
    jest.spyOn(Date, 'now').mockReturnValue(t0 + 45_000);
    const stale = await call('GET', '/vault/fresh', stepped);
    expect(stale.status).toBe(401);
    expect(stale.json).toMatchObject({ code: 'MFA_REQUIRED' });
    expect(stale.headers.get('www-authenticate')).toMatch(/max_age=30$/);
    expect((await call('GET', '/vault/read', stepped)).status).toBe(200);
    expect((await call('DELETE', '/mfa/thing', stepped)).status).toBe(200);
    jest.spyOn(Date, 'now').mockReturnValue(t0 + 90_000);
    expect((await call('DELETE', '/mfa/thing', stepped)).status).toBe(401);
    expect((await call('GET', '/vault/read', stepped)).status).toBe(200);
    expect(events.some((e) => e.type === 'MFA_REQUIRED' && e.reason === 'mfa_too_old')).toBe(true);
  });

  it.each([
    ['no amr', { auth_time: Math.floor(Date.now() / 1000) }],
    ['amr without mfa', { amr: ['pwd', 'otp'], auth_time: Math.floor(Date.now() / 1000) }],
    ['amr as a string', { amr: 'mfa', auth_time: Math.floor(Date.now() / 1000) }],
    ['no auth_time', { amr: ['pwd', 'mfa'] }],
    ['auth_time as a string', { amr: ['pwd', 'mfa'], auth_time: String(Math.floor(Date.now() / 1000)) }],
    ['auth_time in the future', { amr: ['pwd', 'mfa'], auth_time: Math.floor(Date.now() / 1000) + 3600 }],
  ])('fails closed for a token with %s', async (_, claims) => {
    const res = await call('GET', '/vault/read', await sign(claims));
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 'MFA_REQUIRED' });
  });

  it('accepts a token from any issuer this app trusts that carries mfa and a recent auth_time', async () => {
    const token = await sign({ amr: ['hwk', 'mfa'], auth_time: Math.floor(Date.now() / 1000) - 5 });
    expect((await call('GET', '/vault/read', token)).status).toBe(200);
  });

  it('refuses API keys on @RequireMfa() routes, and without a principal', async () => {
    const { accessToken } = await login();
    const minted = await call('POST', '/mfa/api-key', accessToken);
    expect(minted.status).toBe(201);
    const res = await fetch(`${url}/vault/read`, { headers: { 'x-api-key': minted.json.key as string } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'MFA_REQUIRED' });
    expect((await call('GET', '/vault/read')).json).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
  });

  it('refuses a code used already (replay), a wrong code and malformed codes with stable codes', async () => {
    const { accessToken } = await login();
    const first = code();
    expect((await stepUp(accessToken, { code: first })).status).toBe(201);
    const replay = await stepUp(accessToken, { code: first });
    expect(replay.status).toBe(401);
    expect(replay.json).toMatchObject({ code: 'MFA_CODE_REPLAYED' });
    const wrong = await stepUp(accessToken, { code: code(10) });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ code: 'MFA_INVALID_CODE' });
    for (const bad of ['12345', '1234567', 'abcdef', 123456]) {
      const res = await stepUp(accessToken, { code: bad });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ code: 'MFA_MALFORMED_CODE', message: 'The code must be 6 digits' });
    }
    const failures = events.filter((e) => e.type === 'MFA_FAILED');
    expect(JSON.stringify(failures)).not.toContain(first);
    expect(JSON.stringify(events)).not.toContain(TOTP_SECRET);
  });

  it('limits code attempts per user: 429 MFA_TOO_MANY_ATTEMPTS, then even the right code is refused', async () => {
    const { accessToken } = await login();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await stepUp(accessToken, { code: code(10) })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const right = await stepUp(accessToken);
    expect(right.status).toBe(429);
    expect(right.json).toMatchObject({ code: 'MFA_TOO_MANY_ATTEMPTS' });
  });

  it('counts a step-up as a recent login for API-key minting (RECENT_LOGIN_REQUIRED)', async () => {
    const { accessToken } = await login();
    const t0 = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(t0 + 300_000);
    const old = await call('POST', '/mfa/api-key', accessToken);
    expect(old.status).toBe(401);
    expect(old.json).toMatchObject({ code: 'RECENT_LOGIN_REQUIRED' });
    const stepped = await stepUp(accessToken, { code: totpCode(TOTP_SECRET, TOTP, t0 + 300_000) });
    expect(stepped.status).toBe(201);
    const minted = await call('POST', '/mfa/api-key', (stepped.json as { accessToken: string }).accessToken);
    expect(minted.status).toBe(201);
  });
});

describe.each(ADAPTERS)('step-up MFA on two instances sharing Redis (%s)', (adapter) => {
  it('accepts a code on one instance and refuses it as a replay on the other', async () => {
    const storage = { type: 'redis' as const, url: redisUrl(), keyPrefix: uniquePrefix(`mfa-${adapter}`) };
    const a = await bootApp(adapter, mfaAppModule(storage));
    const b = await bootApp(adapter, mfaAppModule(storage));
    try {
      const post = async (base: string, path: string, token?: string, body: unknown = {}) => {
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };
      const login = await post(a.url, '/mfa/login', undefined, { user: `shared-${adapter}` });
      const token = login.json.accessToken as string;
      const shared = code();
      expect((await post(a.url, '/mfa/step-up', token, { code: shared })).status).toBe(201);
      const replay = await post(b.url, '/mfa/step-up', token, { code: shared });
      expect(replay).toMatchObject({ status: 401, json: { code: 'MFA_CODE_REPLAYED' } });
    } finally {
      await a.app.close();
      await b.app.close();
    }
  });
});

describe.each(ADAPTERS)('step-up MFA on the sample app (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, SampleAppModule));
  });
  afterAll(() => app.close());

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      json: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  };

  it('needs a step-up to delete a document', async () => {
    const token = await sampleLogin(url, 'alice');
    const doc = await call('POST', '/documents', token, { title: 'doomed', body: 'x' });
    expect(doc.status).toBe(201);
    const refused = await call('DELETE', `/documents/${doc.json.id as string}`, token);
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ code: 'MFA_REQUIRED' });
    expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_user_authentication".*max_age=300$/);
    const stepped = await sampleStepUp(url, token, 'alice');
    expect((await call('DELETE', `/documents/${doc.json.id as string}`, stepped)).status).toBe(204);
  });

  it('needs a step-up for every /admin route, after the admin role check', async () => {
    expect((await call('GET', '/admin/users', await sampleLogin(url, 'carol'))).status).toBe(403);
    const token = await sampleLogin(url, 'admin');
    for (const path of ['/admin/users', '/admin/users/u-bob']) {
      const res = await call('GET', path, token);
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ code: 'MFA_REQUIRED' });
    }
    const stepped = await sampleStepUp(url, token, 'admin');
    expect((await call('GET', '/admin/users', stepped)).status).toBe(200);
    expect((await call('GET', '/admin/users/u-bob', stepped)).status).toBe(200);
  });

  it('enrols a user (bob), confirms the enrolment with a first code, and refuses a second enrolment', async () => {
    const token = await sampleLogin(url, 'bob');
    const notYet = await call('POST', '/auth/mfa/verify', token, { code: '123456' });
    expect(notYet.json).toMatchObject({ code: 'MFA_NOT_ENROLLED' });
    const enrolled = await call('POST', '/auth/mfa/enroll', token);
    expect(enrolled.status).toBe(201);
    const { secret, uri } = enrolled.json as { secret: string; uri: string };
    expect(uri).toBe(
      `otpauth://totp/Rampart%20Sample:bob?issuer=Rampart%20Sample&secret=${secret}&algorithm=SHA1&digits=6&period=30`,
    );
    const verified = await call('POST', '/auth/mfa/verify', token, { code: totpCode(secret, TOTP, Date.now()) });
    expect(verified.status).toBe(200);
    expect(decodeJwt((verified.json as { accessToken: string }).accessToken).amr).toEqual(['pwd', 'otp', 'mfa']);
    expect((await call('POST', '/auth/mfa/enroll', token)).status).toBe(409);
  });
});
