import { randomBytes } from 'node:crypto';
import { HttpException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Principal } from '../../core/context/principal.interface';
import { SecurityModule } from '../../security.module';
import { JwtAuthenticator } from '../jwt/jwt-authenticator.service';
import { TokenService } from './token.service';

const payload = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

async function boot() {
  const ref = await Test.createTestingModule({
    imports: [SecurityModule.forRoot({ events: { logger: false }, auth: { jwt: { secret: randomBytes(32) } } })],
  }).compile();
  return { tokens: ref.get(TokenService), jwt: ref.get(JwtAuthenticator) };
}

const codeOf = (error: unknown) => ((error as HttpException).getResponse() as { code: string }).code;

describe('TokenService step-up (amr, auth_time)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes the login’s amr only when given, and refuses amr as a free claim', async () => {
    const { tokens } = await boot();
    expect(payload((await tokens.issue({ id: 'u1' })).accessToken).amr).toBeUndefined();
    expect(payload((await tokens.issue({ id: 'u1' }, {}, { amr: ['pwd', 'pwd'] })).accessToken).amr).toEqual(['pwd']);
    await expect(tokens.issue({ id: 'u1', claims: { amr: ['mfa'] } })).rejects.toThrow(
      /claim "amr" is set by TokenService/,
    );
    await expect(tokens.issue({ id: 'u1' }, {}, { amr: ['MFA; drop'] })).rejects.toThrow(TypeError);
  });

  it('moves auth_time to the step-up, adds the factors and mfa, and keeps the subject and session', async () => {
    const { tokens, jwt } = await boot();
    const t0 = Date.now();
    const login = await tokens.issue({ id: 'u1', roles: ['user'] }, {}, { amr: ['pwd'] });
    jest.spyOn(Date, 'now').mockReturnValue(t0 + 600_000);
    const principal = await jwt.authenticate(login.accessToken);
    const stepped = payload((await tokens.stepUp(principal, ['otp'])).accessToken);
    expect(stepped).toMatchObject({
      sub: 'u1',
      roles: ['user'],
      amr: ['pwd', 'otp', 'mfa'],
      sid: principal.claims.sid,
    });
    expect(stepped.auth_time).toBe(Math.floor((t0 + 600_000) / 1000));
    expect(stepped.auth_time).toBeGreaterThan(payload(login.accessToken).auth_time as number);
  });

  it.each<[string, Partial<Principal>]>([
    ['an API key', { type: 'api-key', claims: {} }],
    ['a token without a session', { type: 'user', claims: { sub: 'u1' } }],
  ])('refuses to step up %s (403)', async (_, partial) => {
    const { tokens } = await boot();
    const principal: Principal = { id: 'u1', roles: [], scopes: [], type: 'user', claims: {}, ...partial };
    const error = await tokens.stepUp(principal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpException);
    expect((error as HttpException).getStatus()).toBe(403);
  });

  it('refuses a session that ended (logout) with 401 INVALID_TOKEN', async () => {
    const { tokens, jwt } = await boot();
    const login = await tokens.issue({ id: 'u1' });
    const principal = await jwt.authenticate(login.accessToken);
    await tokens.logout({ refreshToken: login.refreshToken });
    const error = await tokens.stepUp(principal).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('INVALID_TOKEN');
  });
});
