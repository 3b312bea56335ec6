import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { resolveAuthOptions, type JwtOptions } from '../auth.options';
import { hasDuplicateMembers, JwtVerifier } from './jwt-verifier';

const SECRET = randomBytes(32);
const ctx = { profile: 'development' as const, isTrustedProxy: () => false };
const NOW = 1_900_000_000;
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
function hs(payload: object, header: object = { alg: 'HS256' }, secret: Buffer = SECRET): string {
  return signed(`${b64(header)}.${b64(payload)}`, secret);
}
function signed(input: string, secret: Buffer = SECRET, digest = 'sha256'): string {
  return `${input}.${createHmac(digest, secret).update(input).digest('base64url')}`;
}
const verifier = (jwt: JwtOptions = {}) =>
  new JwtVerifier(resolveAuthOptions({ jwt: { secret: SECRET, ...jwt } }, ctx).jwt);

describe('JwtVerifier', () => {
  it('accepts a valid token and returns its claims', async () => {
    const claims = await verifier().verify(hs({ sub: 'u', exp: NOW + 60 }), 'access', NOW);
    expect(claims).toEqual({ sub: 'u', exp: NOW + 60 });
  });

  it.each<[string, string, JwtOptions, string]>([
    ['maxAge exceeded', hs({ sub: 'u', exp: NOW + 60, iat: NOW - 3600 }), { maxAgeSec: 600 }, 'too_old'],
    ['maxAge without iat', hs({ sub: 'u', exp: NOW + 60 }), { maxAgeSec: 600 }, 'missing_claim'],
    ['required typ absent', hs({ sub: 'u', exp: NOW + 60 }), { tokenType: 'at+jwt' }, 'wrong_type'],
    ['non-numeric exp', hs({ sub: 'u', exp: 'tomorrow' }), {}, 'malformed'],
    [
      'exp 1e400 (Infinity, never expires)',
      signed(`${b64({ alg: 'HS256' })}.${Buffer.from('{"sub":"u","exp":1e400}').toString('base64url')}`),
      {},
      'malformed',
    ],
    [
      'nbf -1e400',
      signed(
        `${b64({ alg: 'HS256' })}.${Buffer.from(`{"sub":"u","exp":${NOW + 60},"nbf":-1e400}`).toString('base64url')}`,
      ),
      {},
      'malformed',
    ],
    ['array payload', signed(`${b64({ alg: 'HS256' })}.${Buffer.from('[1]').toString('base64url')}`), {}, 'malformed'],
    [
      'payload not JSON',
      signed(`${b64({ alg: 'HS256' })}.${Buffer.from('{"sub":').toString('base64url')}`),
      {},
      'malformed',
    ],
    [
      'payload not UTF-8',
      signed(`${b64({ alg: 'HS256' })}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}`),
      {},
      'malformed',
    ],
    ['signature not base64url', `${b64({ alg: 'HS256' })}.${b64({ sub: 'u', exp: NOW + 60 })}.x`, {}, 'bad_signature'],
    ['another secret', hs({ sub: 'u', exp: NOW + 60 }, { alg: 'HS256' }, randomBytes(32)), {}, 'bad_signature'],
    ['expired', hs({ sub: 'u', exp: NOW - 3600 }), {}, 'expired'],
    ['not yet valid', hs({ sub: 'u', exp: NOW + 60, nbf: NOW + 600 }), {}, 'not_yet_valid'],
    ['wrong issuer', hs({ sub: 'u', exp: NOW + 60, iss: 'evil' }), { issuer: 'good' }, 'issuer_mismatch'],
    ['no issuer when one is set', hs({ sub: 'u', exp: NOW + 60 }), { issuer: 'good' }, 'missing_claim'],
    ['no exp', hs({ sub: 'u' }), {}, 'missing_claim'],
    [
      'HS384 header for an HS256 key',
      signed(`${b64({ alg: 'HS384' })}.${b64({ sub: 'u', exp: NOW + 60 })}`, SECRET, 'sha384'),
      {},
      'alg_not_allowed',
    ],
    ['crit header', hs({ sub: 'u', exp: NOW + 60 }, { alg: 'HS256', crit: ['exp'] }), {}, 'unknown_crit'],
    ['b64 header', hs({ sub: 'u', exp: NOW + 60 }, { alg: 'HS256', b64: false }), {}, 'unknown_crit'],
    ['x5c header', hs({ sub: 'u', exp: NOW + 60 }, { alg: 'HS256', x5c: ['MII'] }), {}, 'embedded_key'],
    ['numeric kid', hs({ sub: 'u', exp: NOW + 60 }, { alg: 'HS256', kid: 7 }), {}, 'invalid_kid'],
    ['jti object', hs({ sub: 'u', exp: NOW + 60, jti: {} }), {}, 'malformed'],
    [
      'aud array without ours',
      hs({ sub: 'u', exp: NOW + 60, aud: ['x', 'y'] }),
      { audience: ['a'] },
      'audience_mismatch',
    ],
  ])('refuses %s', async (_name, token, options, reason) => {
    await expect(verifier(options).verify(token, 'access', NOW)).rejects.toMatchObject({ reason });
  });

  it('compares an HMAC signature as canonical base64url text: the same bytes spelled otherwise are refused', async () => {
    const token = hs({ sub: 'u', exp: NOW + 60 });
    const last = token.lastIndexOf('.');
    const signature = token.slice(last + 1);
    // 32 bytes are 43 characters, whose last one carries 4 bits of padding: flip one of them.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const lastChar = alphabet.indexOf(signature[42]);
    const sameBytes = `${signature.slice(0, 42)}${alphabet[lastChar ^ 1]}`;
    expect(Buffer.from(sameBytes, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    await expect(verifier().verify(`${token.slice(0, last)}.${sameBytes}`, 'access', NOW)).rejects.toMatchObject({
      reason: 'bad_signature',
    });
    await expect(verifier().verify(`${token}A`, 'access', NOW)).rejects.toMatchObject({ reason: 'bad_signature' });
  });

  it('verifies an HMAC token without a promise, and HS384 / HS512 keys with their own digest', () => {
    const claims = verifier().verifyNow(hs({ sub: 'u', exp: NOW + 60 }), 'access', NOW);
    expect(claims).toEqual({ sub: 'u', exp: NOW + 60 });
    for (const [alg, digest] of [
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      const secret = randomBytes(64);
      const v = new JwtVerifier(resolveAuthOptions({ jwt: { keys: [{ alg, secret }] } }, ctx).jwt);
      const token = signed(`${b64({ alg })}.${b64({ sub: 'u', exp: NOW + 60 })}`, secret, digest);
      expect(v.verifyNow(token, 'access', NOW)).toEqual({ sub: 'u', exp: NOW + 60 });
      expect(() =>
        v.verifyNow(signed(`${b64({ alg })}.${b64({ sub: 'u', exp: NOW + 60 })}`, secret, 'sha256'), 'access', NOW),
      ).toThrow(expect.objectContaining({ reason: 'bad_signature' }));
    }
  });

  it('accepts tokens without exp only when dangerously allowed; refresh tokens always need exp', async () => {
    const token = hs({ sub: 'u' });
    const lax = verifier({ dangerouslyAllowTokensWithoutExp: true });
    await expect(lax.verify(token, 'access', NOW)).resolves.toMatchObject({ sub: 'u' });
    const refresh = hs({ sub: 'u', token_use: 'refresh' }, { alg: 'HS256', typ: 'rt+jwt' });
    await expect(lax.verify(refresh, 'refresh', NOW)).rejects.toMatchObject({ reason: 'missing_claim' });
  });

  it('accepts an aud array containing ours and application/at+jwt as typ', async () => {
    const token = hs({ sub: 'u', exp: NOW + 60, aud: ['x', 'a'] }, { alg: 'HS256', typ: 'application/at+jwt' });
    await expect(verifier({ audience: 'a', tokenType: 'at+jwt' }).verify(token, 'access', NOW)).resolves.toBeDefined();
  });

  it('compares tokenType like typ: a configured application/at+jwt accepts at+jwt and application/AT+JWT', async () => {
    const strict = verifier({ tokenType: 'application/at+jwt' });
    for (const typ of ['at+jwt', 'application/AT+JWT']) {
      const token = hs({ sub: 'u', exp: NOW + 60 }, { alg: 'HS256', typ });
      await expect(strict.verify(token, 'access', NOW)).resolves.toMatchObject({ sub: 'u' });
    }
    const other = hs({ sub: 'u', exp: NOW + 60 }, { alg: 'HS256', typ: 'JWT' });
    await expect(strict.verify(other, 'access', NOW)).rejects.toMatchObject({ reason: 'wrong_type' });
  });

  it('refuses an ES256 signature of the wrong length before calling crypto', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const v = new JwtVerifier(
      resolveAuthOptions({ jwt: { keys: [{ alg: 'ES256', publicKey: ec.publicKey }] } }, ctx).jwt,
    );
    const input = `${b64({ alg: 'ES256' })}.${b64({ sub: 'u', exp: NOW + 60 })}`;
    const der = sign('sha256', Buffer.from(input), ec.privateKey).toString('base64url');
    const p1363 = sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString(
      'base64url',
    );
    await expect(v.verify(`${input}.${der}`, 'access', NOW)).rejects.toMatchObject({ reason: 'bad_signature' });
    await expect(v.verify(`${input}.${p1363}`, 'access', NOW)).resolves.toMatchObject({ sub: 'u' });
  });

  it.each([
    ['{"sub":"a","sub":"b"}', true],
    ['{"sub":"a", "s\\u0075b" : "b"}', true],
    ['{"a":{"x":1,"x":2},"b":"\\"a\\":"}', false],
    ['{"a":["a","a"],"b":"a:","c":{"d":"}"}}', false],
  ])('finds duplicate top-level members in %s: %s', (json, expected) => {
    expect(hasDuplicateMembers(json)).toBe(expected);
  });

  it('refuses a token whose payload names a member twice', async () => {
    const input = `${b64({ alg: 'HS256' })}.${Buffer.from(`{"sub":"admin","exp":${NOW + 60},"sub":"u"}`).toString('base64url')}`;
    const token = `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
    await expect(verifier().verify(token, 'access', NOW)).rejects.toMatchObject({ reason: 'malformed' });
  });

  it('refuses a header that names a member twice, or that is not a JSON object', async () => {
    const signed = (header: string, payload: string) => {
      const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
      return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
    };
    const payload = JSON.stringify({ sub: 'u', exp: NOW + 60 });
    for (const header of ['{"alg":"HS256","alg":"HS256"}', '["HS256"]', 'null', '{"alg":"HS256"']) {
      await expect(verifier().verify(signed(header, payload), 'access', NOW)).rejects.toMatchObject({
        reason: 'malformed',
      });
    }
    for (const body of ['{"sub":"u",', '[1]', '{"sub":"u","exp":1']) {
      await expect(verifier().verify(signed('{"alg":"HS256"}', body), 'access', NOW)).rejects.toMatchObject({
        reason: 'malformed',
      });
    }
  });

  it('refuses an HMAC-signed header that jose would refuse: a stray base64url character, bytes not UTF-8', async () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'u', exp: NOW + 60 })).toString('base64url');
    const header = Buffer.from('{"alg":"HS256"}').toString('base64url');
    const notUtf8 = Buffer.concat([Buffer.from('{"alg":"HS256","x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    for (const segment of [`${header}A`, notUtf8.toString('base64url')]) {
      await expect(verifier().verify(signed(`${segment}.${payload}`), 'access', NOW)).rejects.toMatchObject({
        reason: 'malformed',
      });
    }
  });

  it('caches no longer than exp (+ tolerance) or iat + maxAge', () => {
    expect(verifier().validUntilMs({ sub: 'u', exp: NOW })).toBe((NOW + 30) * 1000);
    expect(verifier({ maxAgeSec: 10 }).validUntilMs({ sub: 'u', exp: NOW + 999, iat: NOW })).toBe((NOW + 40) * 1000);
  });
});

describe('JwtVerificationError', () => {
  it('keeps a short, printable detail: a header value chosen by the caller is cut', async () => {
    const token = hs({ sub: 'u', exp: NOW + 60 }, { alg: `HS256${'x'.repeat(5_000)}\n` });
    const error = await verifier()
      .verify(token, 'access', NOW)
      .catch((e: Error) => e);
    expect(error).toMatchObject({ reason: 'alg_not_allowed' });
    expect((error as Error).message.length).toBeLessThan(100);
    expect((error as Error).message).not.toContain('\n');
  });
});
