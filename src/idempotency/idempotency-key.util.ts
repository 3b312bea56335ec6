import { createHash, type Hash } from 'node:crypto';

/** A bare key: 1–255 printable ASCII characters, no spaces. */
const BARE = /^[\x21-\x7E]{1,255}$/;
/** An RFC 8941 sf-string: quoted printable ASCII without `"` or `\` inside (escapes are not needed for keys). */
const QUOTED = /^"([\x20\x21\x23-\x5B\x5D-\x7E]{1,255})"$/;

/**
 * The key of an `Idempotency-Key` header value, accepting both the draft's sf-string form
 * (`"8e03978e-…"`) and the bare form most clients send. `undefined` when malformed: empty, over
 * 255 characters, non-printable, or a repeated header.
 *
 * @internal
 */
export function parseIdempotencyKey(value: string | string[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.charCodeAt(0) === 34) return QUOTED.exec(value)?.[1];
  return BARE.test(value) ? value : undefined;
}

/** Feeds `value` into `hash` as canonical JSON: object keys sorted, so key order never matters. */
function canonical(value: unknown, hash: Hash, depth: number): void {
  if (depth > 64) {
    hash.update('…');
    return;
  }
  if (value === undefined) hash.update('u');
  else if (value === null || typeof value !== 'object') hash.update(JSON.stringify(value) ?? 'u');
  else if (Buffer.isBuffer(value)) hash.update('b').update(value);
  else if (Array.isArray(value)) {
    hash.update('[');
    for (const item of value) {
      canonical(item, hash, depth + 1);
      hash.update(',');
    }
    hash.update(']');
  } else {
    hash.update('{');
    for (const key of Object.keys(value).sort()) {
      hash.update(JSON.stringify(key)).update(':');
      canonical((value as Record<string, unknown>)[key], hash, depth + 1);
      hash.update(',');
    }
    hash.update('}');
  }
}

/**
 * The request fingerprint: SHA-256 over the method, the path with its query, the canonical body
 * and the caller's scope. Same key + different fingerprint is a 422.
 *
 * @internal
 */
export function requestFingerprint(method: string, url: string, body: unknown, scope: string): string {
  const hash = createHash('sha256')
    .update(method)
    .update('\n')
    .update(url)
    .update('\n')
    .update(`${scope.length}:`)
    .update(scope);
  canonical(body, hash, 0);
  return hash.digest('base64url');
}

/**
 * The logical storage id of a key: a hash of the caller's scope and the key, so keys never reach
 * the store verbatim (no injection, bounded length) and two callers' keys can never collide.
 *
 * @internal
 */
export function idempotencyRecordId(scope: string, key: string): string {
  // Length-prefixed: no (scope, key) pair can be confused with another one.
  return createHash('sha256').update(`${scope.length}:`).update(scope).update(key).digest('base64url');
}
