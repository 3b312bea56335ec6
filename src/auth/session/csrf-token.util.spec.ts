import { createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { sameToken, signCsrfToken, verifyCsrfToken } from './csrf-token.util';

const key = createSecretKey(randomBytes(32));
const otherKey = createSecretKey(randomBytes(32));

/** Replaces the character at `i` with another base64url character. */
function flip(token: string, i: number): string {
  const c = token[i] === 'A' ? 'B' : 'A';
  return token.slice(0, i) + c + token.slice(i + 1);
}

describe('signed double-submit CSRF tokens', () => {
  it('verifies for the session it was signed for, and only that one', () => {
    const token = signCsrfToken(key, 'sid-1');
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(verifyCsrfToken(key, 'sid-1', token)).toBe(true);
    expect(verifyCsrfToken(key, 'sid-2', token)).toBe(false);
    expect(verifyCsrfToken(otherKey, 'sid-1', token)).toBe(false);
  });

  it('is random: two tokens of one session differ and both verify', () => {
    const [a, b] = [signCsrfToken(key, 's'), signCsrfToken(key, 's')];
    expect(a).not.toEqual(b);
    expect([verifyCsrfToken(key, 's', a), verifyCsrfToken(key, 's', b)]).toEqual([true, true]);
  });

  it('refuses a changed random value or MAC, at every position', () => {
    const token = signCsrfToken(key, 'sid');
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      expect({ i, ok: verifyCsrfToken(key, 'sid', flip(token, i)) }).toEqual({ i, ok: false });
    }
  });

  it("refuses another session's MAC with this session's random value (no splicing)", () => {
    const mine = signCsrfToken(key, 'victim');
    const theirs = signCsrfToken(key, 'attacker');
    const spliced = `${mine.split('.')[0]}.${theirs.split('.')[1]}`;
    expect(verifyCsrfToken(key, 'victim', spliced)).toBe(false);
  });

  it('binds the session id unambiguously (length-prefixed input)', () => {
    // "ab" + "!c…" must not collide with "ab!" + "c…": the lengths are part of the MAC input.
    const token = signCsrfToken(key, 'ab');
    expect(verifyCsrfToken(key, 'ab!', token)).toBe(false);
    expect(verifyCsrfToken(key, '', token)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['no dot', 'a'.repeat(66)],
    ['short MAC', `${'a'.repeat(22)}.${'b'.repeat(42)}`],
    ['non-base64url', `${'a'.repeat(22)}.${'+'.repeat(43)}`],
    ['padding', `${'a'.repeat(22)}.${'b'.repeat(42)}=`],
    ['two tokens joined', `${'a'.repeat(22)}.${'b'.repeat(43)}, ${'a'.repeat(22)}.${'b'.repeat(43)}`],
  ])('refuses a malformed token (%s) without throwing', (_name, token) => {
    expect(verifyCsrfToken(key, 'sid', token)).toBe(false);
  });

  it('never verifies a string it did not sign (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ minLength: 1, maxLength: 40 }), (token, sid) => {
        expect(verifyCsrfToken(key, sid, token)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('compares strings in constant time, length first', () => {
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abc', 'abd')).toBe(false);
    expect(sameToken('abc', 'abcd')).toBe(false);
    expect(sameToken('', '')).toBe(true);
  });
});
