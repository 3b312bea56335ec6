import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { CurrentPrincipal, SecurityModule, type Principal, type SecurityEvent } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { activeMs, timed, timeoutBound } from '../fixtures/time-bound';
import { forge, hmacSigner, now, rsaPair, rsaSigner } from './auth-helpers';

/** A JWKS endpoint the test controls: which keys it serves, whether it hangs, how often it was hit. */
class JwksServer {
  keys: object[] = [];
  hang = false;
  hits = 0;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.hits++;
      if (this.hang) return; // never answers: the client's timeout must fire
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const events: SecurityEvent[] = [];
const k1 = rsaPair();
const k2 = rsaPair();
const jwk = (pair: ReturnType<typeof rsaPair>, kid: string) => ({
  ...pair.publicKey.export({ format: 'jwk' }),
  kid,
  alg: 'RS256',
  use: 'sig',
});
const token = (kid: string, pair = k1) =>
  forge({ alg: 'RS256', typ: 'JWT', kid }, { sub: 'remote-user', exp: now() + 300 }, rsaSigner(pair.privateKey));

@Controller('jwks-e2e')
class JwksController {
  @Get('me')
  me(@CurrentPrincipal() principal: Principal) {
    return principal;
  }
}

function appFor(url: string, extra: { timeoutMs?: number; cooldownMs?: number } = {}) {
  @Module({
    imports: [
      SecurityModule.forRoot({
        events: { logger: false, sinks: [(e) => events.push(e)] },
        rateLimit: { enabled: false },
        auth: { jwt: { jwksUri: { url, cooldownMs: 1_500, timeoutMs: 1_000, ...extra } } },
      }),
    ],
    controllers: [JwksController],
  })
  class JwksAppModule {}
  return JwksAppModule;
}

describe.each(ADAPTERS)('remote JWKS (%s)', (adapter) => {
  const jwks = new JwksServer();
  let app: INestApplication;
  let url: string;
  let seq = 0;

  beforeAll(async () => {
    jwks.keys = [jwk(k1, 'r1'), { kty: 'oct', k: Buffer.from('x'.repeat(32)).toString('base64url'), kid: 'oct1' }];
    ({ app, url } = await bootApp(adapter, appFor(await jwks.start())));
  });
  afterAll(async () => {
    await app.close();
    await jwks.stop();
  });

  async function me(jwt: string) {
    const requestId = `jwks-${adapter}-${++seq}`;
    const res = await fetch(`${url}/jwks-e2e/me`, {
      headers: { Authorization: `Bearer ${jwt}`, 'X-Request-ID': requestId },
    });
    await res.text();
    return { status: res.status, reason: events.find((e) => e.requestId === requestId)?.reason };
  }

  it('prefetches at boot and verifies by kid without fetching again', async () => {
    expect(jwks.hits).toBe(1);
    expect((await me(token('r1'))).status).toBe(200);
    expect((await me(token('r1'))).status).toBe(200);
    expect(jwks.hits).toBe(1);
  });

  it('refetches on an unknown kid (key rotation), at most once per cooldown', async () => {
    await new Promise((r) => setTimeout(r, 1_550)); // past the boot fetch's cooldown
    jwks.keys = [jwk(k1, 'r1'), jwk(k2, 'r2')];
    const hits = jwks.hits;
    expect((await me(token('r2', k2))).status).toBe(200);
    expect(jwks.hits).toBe(hits + 1);
    const flood = await Promise.all(Array.from({ length: 20 }, (_, i) => me(token(`made-up-${i}`))));
    expect(flood.every((r) => r.status === 401 && r.reason === 'unknown_kid')).toBe(true);
    expect(jwks.hits).toBe(hits + 1);
  });

  it('ignores symmetric keys in a JWKS and refuses HS256 signed with a public key', async () => {
    const octToken = forge({ alg: 'HS256', kid: 'oct1' }, { sub: 'x', exp: now() + 60 }, hmacSigner('x'.repeat(32)));
    expect((await me(octToken)).status).toBe(401);
    const pem = k1.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const confused = forge({ alg: 'HS256', kid: 'r1' }, { sub: 'x', exp: now() + 60 }, hmacSigner(pem));
    expect(await me(confused)).toEqual({ status: 401, reason: 'alg_not_allowed' });
  });

  it('bounds the fetch with a timeout when the provider hangs', async () => {
    const hanging = new JwksServer();
    hanging.hang = true;
    const booted = await bootApp(adapter, appFor(await hanging.start(), { timeoutMs: 200, cooldownMs: 0 }));
    try {
      const call = await timed(() =>
        fetch(`${booted.url}/jwks-e2e/me`, { headers: { Authorization: `Bearer ${token('r1')}` } }),
      );
      expect(call.value?.status).toBe(401);
      // The provider never answers: the request ends on the fetch timeout, not on the provider.
      expect(activeMs(call)).toBeLessThanOrEqual(timeoutBound(200));
    } finally {
      await booted.app.close();
      await hanging.stop();
    }
  });
});
