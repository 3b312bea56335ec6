import { isTotpSecret, matchTotp, newTotpSecret, totpCode, totpUri, type TotpParams } from './totp.util';

/** RFC 4648 base32, written out here so the vectors do not depend on the library's own encoder. */
function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + alphabet[(value << (5 - bits)) & 31] : out;
}

// RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to the HMAC's key size.
const SEEDS = {
  SHA1: base32(Buffer.from('12345678901234567890')),
  SHA256: base32(Buffer.from('12345678901234567890123456789012')),
  SHA512: base32(Buffer.from('1234567890123456789012345678901234567890123456789012345678901234')),
};
const VECTORS: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];
const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;

describe('TOTP (RFC 6238 Appendix B test vectors)', () => {
  const cases = VECTORS.flatMap(([time, ...codes]) => ALGORITHMS.map((alg, i) => [time, alg, codes[i]] as const));

  it.each(cases)('T=%i %s → %s', (time, algorithm, code) => {
    const params: TotpParams = { algorithm, digits: 8, periodSec: 30 };
    expect(totpCode(SEEDS[algorithm], params, time * 1000)).toBe(code);
    expect(matchTotp(SEEDS[algorithm], code, params, 0, time * 1000)).toBe(Math.floor(time / 30));
  });
});

describe('matchTotp', () => {
  const secret = newTotpSecret(20);
  const params: TotpParams = { algorithm: 'SHA1', digits: 6, periodSec: 30 };
  const now = 1_700_000_015_000; // the middle of a step
  const step = Math.floor(now / 30_000);

  it.each([
    [-2, 1, undefined],
    [-1, 1, -1],
    [0, 1, 0],
    [1, 1, 1],
    [2, 1, undefined],
    [-1, 0, undefined],
    [0, 0, 0],
    [-2, 2, -2],
  ])('a code %i step(s) away with window %i → step offset %s', (offset, window, expected) => {
    const code = totpCode(secret, params, now + offset * 30_000);
    expect(matchTotp(secret, code, params, window, now)).toBe(expected === undefined ? undefined : step + expected);
  });

  it('refuses a code of another secret and a code of another algorithm', () => {
    const code = totpCode(secret, params, now);
    expect(matchTotp(newTotpSecret(20), code, params, 1, now)).toBeUndefined();
    const sha256 = totpCode(secret, { ...params, algorithm: 'SHA256' }, now);
    if (sha256 !== code) expect(matchTotp(secret, sha256, params, 0, now)).toBeUndefined();
  });
});

describe('enrolment helpers', () => {
  it('makes random base32 secrets of the requested size', () => {
    const a = newTotpSecret(20);
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret(64)).toMatch(/^[A-Z2-7]{103}$/);
    expect(newTotpSecret(20)).not.toBe(a);
    expect(isTotpSecret(a)).toBe(true);
  });

  it.each([[''], ['abc'], ['ABC1'], ['AAAAAAAA'], [42], [undefined]])('isTotpSecret(%p) is false', (value) => {
    expect(isTotpSecret(value)).toBe(false);
  });

  it('builds the otpauth:// URI authenticator apps scan', () => {
    const uri = new URL(
      totpUri(
        'JBSWY3DPEHPK3PXPJBSWY3DP',
        { algorithm: 'SHA256', digits: 8, periodSec: 60 },
        'alice@example.com',
        'Acme',
      ),
    );
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Acme:alice@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: 'Acme',
      secret: 'JBSWY3DPEHPK3PXPJBSWY3DP',
      algorithm: 'SHA256',
      digits: '8',
      period: '60',
    });
  });
});
