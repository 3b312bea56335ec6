import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { jwtVerify } from 'jose';
import { resolveAuthOptions, type JwtOptions } from '../auth.options';
import { JwtVerifier } from './jwt-verifier';

/**
 * HS256/384/512 tokens are verified with node:crypto's HMAC and jose's claim checks rather than
 * jose's `jwtVerify`. This spec holds that path to jose's own answer on a corpus of hostile tokens:
 * every token the verifier accepts, `jwtVerify` with the same key and options accepts too, with
 * the same claims (the verifier may refuse more: its header rules are stricter). A jose upgrade
 * that changes its checks fails here.
 */
const SECRET = randomBytes(32);
const ctx = { profile: 'development' as const, isTrustedProxy: () => false };
const NOW = 1_900_000_000;
const enc = (s: string | Buffer) => Buffer.from(s).toString('base64url');
const json = (v: unknown) => enc(JSON.stringify(v));
const mac = (input: string, digest = 'sha256', secret: Buffer | string = SECRET) =>
  createHmac(digest, secret).update(input).digest('base64url');
const token = (h: string, p: string, digest = 'sha256', secret: Buffer | string = SECRET) =>
  `${h}.${p}.${mac(`${h}.${p}`, digest, secret)}`;
const P = (o: object = {}) => json({ sub: 'u', exp: NOW + 60, ...o });
const H = (o: object = {}) => json({ alg: 'HS256', ...o });
const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string;
const flipLastBit = (segment: string) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return segment.slice(0, -1) + alphabet[alphabet.indexOf(segment[segment.length - 1]) ^ 1];
};

const TOKENS: Array<[string, string]> = [
  ['valid', token(H(), P())],
  ['alg in lower case', token(H({ alg: 'hs256' }), P())],
  ['alg none', `${H({ alg: 'none' })}.${P()}.`],
  ['alg RS256 on an HMAC key', token(H({ alg: 'RS256' }), P())],
  ['alg HS512 on an HS256 key', token(H({ alg: 'HS512' }), P(), 'sha512')],
  ['alg as an array', token(json({ alg: ['HS256'] }), P())],
  ['no alg', token(json({}), P())],
  ['signature truncated', token(H(), P()).slice(0, -1)],
  ['signature extended', `${token(H(), P())}A`],
  ['signature with non-canonical trailing bits', flipLastBit(token(H(), P()))],
  ['SHA-512 signature length', token(H(), P(), 'sha512')],
  ['empty signature', `${H()}.${P()}.`],
  ['header not UTF-8', token(enc(Buffer.from([0x7b, 0x22, 0x61, 0x6c, 0x67, 0x22, 0x3a, 0xff, 0x7d])), P())],
  ['header with a stray character', token(`${H()}A`, P())],
  // 16 bytes: 22 base64url characters, the last one carrying 4 spare bits (15-byte `{"alg":"HS256"}` has none).
  ['header with spare bits', token(enc('{"alg":"HS256" }'), P())],
  ['header with non-canonical trailing bits', token(flipLastBit(enc('{"alg":"HS256" }')), P())],
  ['payload with a stray character', token(H(), `${P()}A`)],
  ['payload with a BOM', token(H(), enc(`\ufeff${JSON.stringify({ sub: 'u', exp: NOW + 60 })}`))],
  ['payload null', token(H(), enc('null'))],
  ['payload a string', token(H(), enc('"x"'))],
  ['payload with a duplicate member', token(H(), enc(`{"sub":"admin","exp":${NOW + 60},"s\\u0075b":"u"}`))],
  ['crit empty', token(H({ crit: [] }), P())],
  ['b64 true', token(H({ b64: true }), P())],
  ['typ JWT', token(H({ typ: 'JWT' }), P())],
  ['exp now', token(H(), P({ exp: NOW }))],
  ['exp within the tolerance', token(H(), P({ exp: NOW - 29 }))],
  ['exp past the tolerance', token(H(), P({ exp: NOW - 31 }))],
  ['exp a string', token(H(), P({ exp: `${NOW + 60}` }))],
  ['exp 1e400', token(H(), enc('{"sub":"u","exp":1e400}'))],
  ['nbf -1e400', token(H(), enc(`{"sub":"u","exp":${NOW + 60},"nbf":-1e400}`))],
  ['nbf within the tolerance', token(H(), P({ nbf: NOW + 29 }))],
  ['nbf beyond the tolerance', token(H(), P({ nbf: NOW + 31 }))],
  ['iat in the future', token(H(), P({ iat: NOW + 31 }))],
  ['iat old', token(H(), P({ iat: NOW - 3_600 }))],
  ['iss good', token(H(), P({ iss: 'good', aud: 'a', iat: NOW }))],
  ['iss evil', token(H(), P({ iss: 'evil', aud: 'a', iat: NOW }))],
  ['iss as an array', token(H(), P({ iss: ['good'], aud: 'a', iat: NOW }))],
  ['aud in an array', token(H(), P({ iss: 'good', aud: ['b', 'a'], iat: NOW }))],
  ['aud other', token(H(), P({ iss: 'good', aud: 'b', iat: NOW }))],
  ['no exp', token(H(), json({ sub: 'u' }))],
  ['no sub', token(H(), json({ exp: NOW + 60 }))],
  ['signed with another secret', token(H(), P(), 'sha256', randomBytes(32))],
  ['signed with an RSA public key as the HMAC secret', token(H(), P(), 'sha256', rsaPem)],
];

const CONFIGS: Array<[string, JwtOptions]> = [
  ['defaults', {}],
  ['issuer, audience and a maximum age', { issuer: 'good', audience: 'a', maxAgeSec: 600 }],
];

describe('HMAC verification against jose jwtVerify', () => {
  it.each(CONFIGS)('accepts nothing jose refuses, with the same claims (%s)', async (_name, jwt) => {
    const resolved = resolveAuthOptions({ jwt: { secret: SECRET, ...jwt } }, ctx).jwt;
    const verifier = new JwtVerifier(resolved);
    const joseOptions = {
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'exp'],
      clockTolerance: resolved.clockToleranceSec,
      currentDate: new Date(NOW * 1000),
      ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
      ...(jwt.audience ? { audience: jwt.audience } : {}),
      ...(jwt.maxAgeSec !== undefined ? { maxTokenAge: jwt.maxAgeSec } : {}),
    };
    let accepted = 0;
    const looser: string[] = [];
    for (const [name, jws] of TOKENS) {
      const ours = await verifier.verify(jws, 'access', NOW).then(
        (claims) => ({ claims }),
        () => undefined,
      );
      if (!ours) continue;
      accepted += 1;
      const theirs = await jwtVerify(jws, SECRET, joseOptions).then(
        (r) => ({ claims: r.payload }),
        () => undefined,
      );
      if (!theirs || JSON.stringify(theirs.claims) !== JSON.stringify(ours.claims)) looser.push(name);
    }
    expect(looser).toEqual([]);
    // The corpus exercises the accepting path too, not only refusals.
    expect(accepted).toBeGreaterThanOrEqual(2);
  });
});
