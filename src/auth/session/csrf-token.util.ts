import { createHmac, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

/** Bytes of the random half of a token (128 bits). */
const RANDOM_BYTES = 16;
/** `<22 base64url chars>.<43 base64url chars>`: the random value, then the HMAC-SHA256. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;

/**
 * The MAC input of OWASP's signed double-submit cookie: the session id and the random value,
 * each with its length, so no two (session, value) pairs share an input. Versioned and labelled
 * so this key can never produce a MAC that means something else.
 */
function mac(key: KeyObject, sid: string, random: string): Buffer {
  return createHmac('sha256', key).update(`rampart-csrf-v1!${sid.length}!${sid}!${random.length}!${random}`).digest();
}

/**
 * A CSRF token bound to one session (`sid`): a random value and the HMAC of session id and value
 * (OWASP CSRF cheat sheet, "signed double-submit cookie"). Without the key, nobody can make one
 * that verifies for another session.
 *
 * @internal
 */
export function signCsrfToken(key: KeyObject, sid: string): string {
  const random = randomBytes(RANDOM_BYTES).toString('base64url');
  return `${random}.${mac(key, sid, random).toString('base64url')}`;
}

/** Whether `token` was signed with `key` for session `sid` (constant-time comparison). @internal */
export function verifyCsrfToken(key: KeyObject, sid: string, token: string): boolean {
  if (!TOKEN_PATTERN.test(token)) return false;
  const dot = token.indexOf('.');
  // Compared as text: base64url decoding ignores the last character's spare bits, so comparing
  // bytes would accept four spellings of one token.
  return sameToken(mac(key, sid, token.slice(0, dot)).toString('base64url'), token.slice(dot + 1));
}

/** Constant-time string equality (the length is not secret: every token has the same). @internal */
export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
