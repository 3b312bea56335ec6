import { createHash, hash, type Hash } from 'node:crypto';

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

/** Nodes hashed at most; far above what a body within `maxPayloadBytes` holds, and a bound on cycles. */
const MAX_NODES = 2_000_000;

/** A value still to encode, or text to emit as is. */
type Work = { value: unknown } | { text: string };

/** Canonical text handed to the hash at most this long at a time: a large body is never held whole. */
const CHUNK = 64 * 1024;

/**
 * The request fingerprint: SHA-256 over the method, the path with its query, the canonical body
 * and the caller's scope. Same key + different fingerprint is a 422.
 *
 * The body is encoded as canonical JSON: object keys sorted, so key order never matters.
 * Iteratively, so any nesting depth is encoded in full: a cut-off depth would let two payloads
 * that differ only below it share a fingerprint (a replay where a 422 is due). The text is built in
 * JavaScript and hashed in one call (one-shot `hash()`), or in 64 KiB chunks for a larger body; a
 * Buffer goes in as its bytes. The bytes hashed are the same as one `update` per token, so
 * fingerprints stored by earlier versions still match.
 *
 * @internal
 */
export function requestFingerprint(method: string, url: string, body: unknown, scope: string): string {
  let text = `${method}\n${url}\n${scope.length}:${scope}`;
  let digest: Hash | undefined;
  const flush = (): Hash => {
    digest ??= createHash('sha256');
    digest.update(text);
    text = '';
    return digest;
  };
  const stack: Work[] = [{ value: body }];
  let nodes = 0;
  while (stack.length > 0) {
    if (text.length > CHUNK) flush();
    const work = stack.pop() as Work;
    if ('text' in work) {
      text += work.text;
      continue;
    }
    if (++nodes > MAX_NODES) {
      text += '…';
      break;
    }
    const v = work.value;
    if (v === undefined) text += 'u';
    else if (v === null || typeof v !== 'object') text += JSON.stringify(v) ?? 'u';
    else if (Buffer.isBuffer(v)) {
      text += 'b';
      flush().update(v);
    } else if (Array.isArray(v)) {
      text += '[';
      stack.push({ text: ']' });
      for (let i = v.length - 1; i >= 0; i--) stack.push({ text: ',' }, { value: v[i] });
    } else {
      text += '{';
      stack.push({ text: '}' });
      const keys = Object.keys(v).sort();
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push(
          { text: ',' },
          { value: (v as Record<string, unknown>)[keys[i]] },
          { text: `${JSON.stringify(keys[i])}:` },
        );
      }
    }
  }
  if (digest === undefined) return hash('sha256', text, 'base64url');
  return flush().digest('base64url');
}

/**
 * The logical storage id of a key: a hash of the caller's scope and the key, so keys never reach
 * the store verbatim (no injection, bounded length) and two callers' keys can never collide.
 *
 * @internal
 */
export function idempotencyRecordId(scope: string, key: string): string {
  // Length-prefixed: no (scope, key) pair can be confused with another one.
  return hash('sha256', `${scope.length}:${scope}${key}`, 'base64url');
}
