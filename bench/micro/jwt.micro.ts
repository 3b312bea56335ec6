import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { importSPKI, jwtVerify } from 'jose';
import { JwtAuthenticator } from 'nestjs-rampart';
import {
  type AlgorithmKeys,
  JWT_ALGORITHMS,
  JWT_AUDIENCE,
  JWT_ISSUER,
  keysFor,
  signJwt,
  USER_ID,
  userClaims,
} from '../lib/fixtures';
import { rampartContext } from './context';
import { guarded, sequential } from './timing';

/**
 * JWT verification per algorithm: the library's verifier against
 * @nestjs/jwt (jsonwebtoken, configured the documented way: a secret string or a PEM) and jose
 * (keys imported once). Every verifier checks signature, algorithm, exp, iss and aud.
 */

type Verify = () => unknown;

function checkSub(payload: unknown): void {
  if ((payload as { sub?: unknown })?.sub !== USER_ID) throw new Error('verifier returned the wrong payload');
}

function nestJwt(keys: AlgorithmKeys, token: string): Verify {
  const service =
    keys.alg === 'HS256' ? new JwtService({ secret: keys.verifyPem }) : new JwtService({ publicKey: keys.verifyPem });
  const options = { algorithms: [keys.alg as 'HS256'], issuer: JWT_ISSUER, audience: JWT_AUDIENCE };
  checkSub(service.verify(token, options));
  return () => service.verify(token, options);
}

async function jose(keys: AlgorithmKeys, token: string): Promise<Verify> {
  const key =
    keys.alg === 'HS256'
      ? await webcrypto.subtle.importKey('raw', Buffer.from(keys.verifyPem), { name: 'HMAC', hash: 'SHA-256' }, false, [
          'verify',
        ])
      : await importSPKI(keys.verifyPem, keys.alg);
  const options = { algorithms: [keys.alg], issuer: JWT_ISSUER, audience: JWT_AUDIENCE };
  checkSub((await jwtVerify(token, key, options)).payload);
  return () => jwtVerify(token, key, options);
}

/**
 * The library's verifier as SecurityModule builds it (from a bare application context), with the
 * verified-token cache off, so every call checks the signature. `JwtAuthenticator.verify` checks
 * signature and claims without the revocation lookup, like the other verifiers here.
 */
async function rampartVerifier(keys: AlgorithmKeys, token: string): Promise<Verify> {
  const jwt =
    keys.alg === 'HS256' ? { secret: keys.verifyPem } : { keys: [{ alg: keys.alg, publicKey: keys.verifyPem }] };
  const app = await rampartContext({
    events: { enabled: false },
    logSummary: false,
    auth: { jwt: { ...jwt, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, cacheSize: 0 } },
  });
  const authenticator = app.get(JwtAuthenticator, { strict: false });
  checkSub(await authenticator.verify(token, 'access'));
  return () => authenticator.verify(token, 'access');
}

/**
 * `JwtAuthenticator.authenticate` (verification and the revocation check on the memory store) as
 * the JWT 20k-tokens scenario calls it: 20,000 distinct HS256 tokens in turn through the default
 * verified-token cache (10,000 entries), so no token is ever a hit.
 */
async function rampartDistinctTokens(): Promise<Verify> {
  const keys = keysFor('HS256');
  const tokens = Array.from({ length: 20_000 }, (_, i) => signJwt(keys, userClaims({ jti: `bench-jti-${i}` })));
  const app = await rampartContext({
    events: { enabled: false },
    logSummary: false,
    auth: { jwt: { secret: keys.verifyPem, issuer: JWT_ISSUER, audience: JWT_AUDIENCE } },
  });
  const authenticator = app.get(JwtAuthenticator, { strict: false });
  let next = 0;
  return () => authenticator.authenticate(tokens[next++ % tokens.length]);
}

async function main(): Promise<void> {
  const distinct = { suite: 'jwt', case: 'HS256, 20,000 distinct tokens (authenticate)', impl: 'nestjs-rampart' };
  await guarded(distinct, async () => sequential(distinct, await rampartDistinctTokens()));
  for (const alg of JWT_ALGORITHMS) {
    const keys = keysFor(alg);
    const token = signJwt(keys, userClaims());
    const impls: Array<[string, () => Promise<Verify> | Verify]> = [
      ['nestjs-rampart', () => rampartVerifier(keys, token)],
      ['@nestjs/jwt (jsonwebtoken)', () => nestJwt(keys, token)],
      ['jose (imported key)', () => jose(keys, token)],
    ];
    for (const [impl, make] of impls) {
      const base = { suite: 'jwt', case: alg, impl };
      await guarded(base, async () => sequential(base, await make()));
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
