import { randomBytes } from 'node:crypto';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { JwtModule, JwtService } from '@nestjs/jwt';
import {
  CurrentPrincipal,
  SecurityModule,
  TokenService,
  type JwtKeyOptions,
  type Principal,
  type SecurityModuleOptions,
} from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { rsaPair } from './auth-helpers';

/**
 * Interop with @nestjs/jwt in both directions, with the same key and claims: tokens JwtService
 * issues pass the library's guard, and tokens the library's TokenService issues pass
 * JwtService.verify. HS256 (shared secret) and RS256 (key pair).
 */
const ISS = 'https://issuer.test';
const AUD = 'api://interop';
const SECRET = randomBytes(48).toString('base64url');
const rs = rsaPair();
const RS_PRIVATE = rs.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const RS_PUBLIC = rs.publicKey.export({ type: 'spki', format: 'pem' }).toString();

interface Case {
  alg: 'HS256' | 'RS256';
  key: JwtKeyOptions;
  jwtModule: Parameters<typeof JwtModule.register>[0];
}

const CASES: Case[] = [
  {
    alg: 'HS256',
    key: { alg: 'HS256', secret: SECRET },
    jwtModule: { secret: SECRET, signOptions: { algorithm: 'HS256' }, verifyOptions: { algorithms: ['HS256'] } },
  },
  {
    alg: 'RS256',
    key: { alg: 'RS256', publicKey: RS_PUBLIC, privateKey: RS_PRIVATE },
    jwtModule: {
      privateKey: RS_PRIVATE,
      publicKey: RS_PUBLIC,
      signOptions: { algorithm: 'RS256' },
      verifyOptions: { algorithms: ['RS256'] },
    },
  },
];

@Controller('interop')
class InteropController {
  @Get('me')
  me(@CurrentPrincipal() principal: Principal) {
    return { id: principal.id, roles: principal.roles, department: principal.claims.department };
  }
}

function appModule(c: Case) {
  const options: SecurityModuleOptions = {
    events: { logger: false },
    rateLimit: { enabled: false },
    auth: { jwt: { keys: [c.key], issuer: ISS, audience: AUD } },
  };
  @Module({
    imports: [
      SecurityModule.forRoot(options),
      JwtModule.register({
        ...c.jwtModule,
        signOptions: { ...c.jwtModule?.signOptions, issuer: ISS, audience: AUD, expiresIn: '5m' },
      }),
    ],
    controllers: [InteropController],
  })
  class InteropAppModule {}
  return InteropAppModule;
}

describe.each(ADAPTERS)('@nestjs/jwt interop (%s)', (adapter) => {
  describe.each(CASES)('$alg', (c) => {
    let app: INestApplication;
    let url: string;
    let jwtService: JwtService;
    let tokens: TokenService;

    beforeAll(async () => {
      ({ app, url } = await bootApp(adapter, appModule(c)));
      jwtService = app.get(JwtService);
      tokens = app.get(TokenService);
    });
    afterAll(() => app.close());

    const me = (token: string) => fetch(`${url}/interop/me`, { headers: { authorization: `Bearer ${token}` } });

    it('accepts a token JwtService signed, with its roles and claims', async () => {
      const token = await jwtService.signAsync({ sub: 'user-1', roles: ['editor'], department: 'sales' });
      const res = await me(token);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: 'user-1', roles: ['editor'], department: 'sales' });
    });

    it('refuses a JwtService token without exp (the library requires it) or for another audience', async () => {
      const withoutExpiry = new JwtService({
        ...c.jwtModule,
        signOptions: { ...c.jwtModule?.signOptions, issuer: ISS, audience: AUD },
      });
      const noExp = withoutExpiry.sign({ sub: 'user-1' });
      expect(JSON.parse(Buffer.from(noExp.split('.')[1], 'base64url').toString()).exp).toBeUndefined();
      expect((await me(noExp)).status).toBe(401);
      const otherAud = await jwtService.signAsync({ sub: 'user-1' }, { audience: 'api://other' });
      expect((await me(otherAud)).status).toBe(401);
    });

    it('issues tokens JwtService.verify accepts (same key, claims)', async () => {
      const pair = await tokens.issue({ id: 'user-2', roles: ['viewer'], claims: { department: 'ops' } });
      const claims = await jwtService.verifyAsync<Record<string, unknown>>(pair.accessToken, {
        issuer: ISS,
        audience: AUD,
      });
      expect(claims).toMatchObject({ sub: 'user-2', roles: ['viewer'], department: 'ops', iss: ISS, aud: AUD });
      expect(typeof claims.exp).toBe('number');
      expect(jwtService.decode(pair.accessToken, { complete: true }).header).toMatchObject({
        alg: c.alg,
        typ: 'at+jwt',
      });
      // And back: the token the library issued works on its own routes.
      expect((await me(pair.accessToken)).status).toBe(200);
    });

    it('JwtService refuses a TokenService token signed with another key', async () => {
      const other = new JwtService(
        c.alg === 'HS256'
          ? { secret: randomBytes(48).toString('base64url') }
          : { publicKey: rsaPair().publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      );
      const pair = await tokens.issue({ id: 'user-3' });
      await expect(other.verifyAsync(pair.accessToken)).rejects.toThrow(/invalid signature/);
    });
  });
});
