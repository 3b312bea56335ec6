import { createHash, createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

/**
 * Fixed credentials shared by the runner (which sends them) and the servers (which check them).
 * Benchmark-only values: never reuse them anywhere else.
 */
export const JWT_SECRET = 'bench-only-hs256-secret-0123456789abcdef0123456789abcdef';
export const JWT_ISSUER = 'https://bench.rampart.local';
export const JWT_AUDIENCE = 'bench-api';
/** The subject of every benchmark token; it owns document `d1`. */
export const USER_ID = 'user-1';
export const USER_ROLES = ['user'];
/** A fixed API key for the hand-written usual-stack guard (rampart issues its own). */
export const USUAL_API_KEY = 'bench_usual_0123456789abcdefghijklmnopqrstuv';
export const USUAL_API_KEY_SHA256 = createHash('sha256').update(USUAL_API_KEY).digest('hex');

/** A JWT algorithm the micro-benchmarks compare. */
export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'EdDSA';
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'RS256', 'ES256', 'EdDSA'];

/** Key material for one algorithm: what signs, and what a verifier is configured with. */
export interface AlgorithmKeys {
  alg: JwtAlgorithm;
  /** HS256: the shared secret string; otherwise the private key. */
  signingKey: string | KeyObject;
  /** HS256: the shared secret string; otherwise the public key as SPKI PEM. */
  verifyPem: string;
}

const b64url = (input: Buffer | string): string => Buffer.from(input).toString('base64url');

/** Builds key material for `alg` (asymmetric keys are generated fresh per process). */
export function keysFor(alg: JwtAlgorithm): AlgorithmKeys {
  switch (alg) {
    case 'HS256':
      return { alg, signingKey: JWT_SECRET, verifyPem: JWT_SECRET };
    case 'RS256': {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return { alg, signingKey: privateKey, verifyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    }
    case 'ES256': {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return { alg, signingKey: privateKey, verifyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    }
    case 'EdDSA': {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      return { alg, signingKey: privateKey, verifyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    }
    default: {
      const never: never = alg;
      throw new Error(`unknown algorithm ${String(never)}`);
    }
  }
}

/**
 * Signs a compact JWT with node:crypto only, so the token does not depend on any of the
 * libraries being compared.
 */
export function signJwt(keys: AlgorithmKeys, claims: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ alg: keys.alg, typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  const data = `${header}.${payload}`;
  let signature: Buffer;
  switch (keys.alg) {
    case 'HS256':
      signature = createHmac('sha256', keys.signingKey as string)
        .update(data)
        .digest();
      break;
    case 'RS256':
      signature = sign('sha256', Buffer.from(data), keys.signingKey as KeyObject);
      break;
    case 'ES256':
      signature = sign('sha256', Buffer.from(data), { key: keys.signingKey as KeyObject, dsaEncoding: 'ieee-p1363' });
      break;
    case 'EdDSA':
      signature = sign(null, Buffer.from(data), keys.signingKey as KeyObject);
      break;
  }
  return `${data}.${b64url(signature)}`;
}

/** The standard claims of a benchmark token, valid for an hour. */
export function userClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: USER_ID,
    roles: USER_ROLES,
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    iat: now,
    exp: now + 3600,
    jti: 'bench-jti-1',
    ...extra,
  };
}

/** The HS256 bearer token every macro scenario sends. */
export function benchToken(): string {
  return signJwt(keysFor('HS256'), userClaims());
}
