import { createHash, type Hash } from 'node:crypto';
import fc from 'fast-check';
import { idempotencyRecordId, parseIdempotencyKey, requestFingerprint } from './idempotency-key.util';

/**
 * The fingerprint as earlier versions computed it, one `update` per token: records stored by them
 * (in a shared store during a rolling deploy) must keep matching the same request.
 */
function tokenByTokenFingerprint(method: string, url: string, body: unknown, scope: string): string {
  const hash = createHash('sha256').update(method).update('\n').update(url).update('\n');
  hash.update(`${scope.length}:`).update(scope);
  const feed = (value: unknown, h: Hash): void => {
    if (value === undefined) h.update('u');
    else if (value === null || typeof value !== 'object') h.update(JSON.stringify(value) ?? 'u');
    else if (Buffer.isBuffer(value)) h.update('b').update(value);
    else if (Array.isArray(value)) {
      h.update('[');
      for (const item of value) {
        feed(item, h);
        h.update(',');
      }
      h.update(']');
    } else {
      h.update('{');
      for (const key of Object.keys(value).sort()) {
        h.update(`${JSON.stringify(key)}:`);
        feed((value as Record<string, unknown>)[key], h);
        h.update(',');
      }
      h.update('}');
    }
  };
  feed(body, hash);
  return hash.digest('base64url');
}

describe('parseIdempotencyKey', () => {
  it.each([
    ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"with space"', 'with space'],
    ['k'.repeat(255), 'k'.repeat(255)],
  ])('accepts %s', (header, key) => {
    expect(parseIdempotencyKey(header)).toBe(key);
  });

  it.each([
    ['empty', ''],
    ['empty quoted', '""'],
    ['too long', 'k'.repeat(256)],
    ['too long quoted', `"${'k'.repeat(256)}"`],
    ['a space', 'a b'],
    ['a tab', 'a\tb'],
    ['a control char', 'a\u0001b'],
    ['non-ASCII', 'clé'],
    ['an unterminated quote', '"abc'],
    ['an inner quote', '"a"b"'],
  ])('refuses %s', (_name, header) => {
    expect(parseIdempotencyKey(header)).toBeUndefined();
  });

  it('refuses a repeated header', () => {
    expect(parseIdempotencyKey(['a', 'b'])).toBeUndefined();
  });
});

describe('requestFingerprint', () => {
  it('ignores key order but not values, method, url or scope', () => {
    const base = requestFingerprint('POST', '/pay', { a: 1, b: { c: [1, 2] } }, 'user:1');
    expect(requestFingerprint('POST', '/pay', { b: { c: [1, 2] }, a: 1 }, 'user:1')).toBe(base);
    expect(requestFingerprint('POST', '/pay', { a: 1, b: { c: [2, 1] } }, 'user:1')).not.toBe(base);
    expect(requestFingerprint('PATCH', '/pay', { a: 1, b: { c: [1, 2] } }, 'user:1')).not.toBe(base);
    expect(requestFingerprint('POST', '/pay?x=1', { a: 1, b: { c: [1, 2] } }, 'user:1')).not.toBe(base);
    expect(requestFingerprint('POST', '/pay', { a: 1, b: { c: [1, 2] } }, 'user:2')).not.toBe(base);
    expect(requestFingerprint('POST', '/pay', { a: '1', b: { c: [1, 2] } }, 'user:1')).not.toBe(base);
  });

  it('hashes every level of a deep body (a difference 100 levels down is still a different request)', () => {
    const deep = (leaf: number) => {
      let value: unknown = leaf;
      for (let i = 0; i < 100; i++) value = { a: [value] };
      return value;
    };
    expect(requestFingerprint('POST', '/pay', deep(1), 'user:1')).not.toBe(
      requestFingerprint('POST', '/pay', deep(2), 'user:1'),
    );
    expect(requestFingerprint('POST', '/pay', deep(1), 'user:1')).toBe(
      requestFingerprint('POST', '/pay', deep(1), 'user:1'),
    );
  });

  it('hashes the same bytes as one update per token (fingerprints stored by earlier versions still match)', () => {
    const text = fc.string({ unit: 'binary' });
    const body = fc.oneof(
      fc.jsonValue({ stringUnit: 'binary' }),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
      fc.dictionary(
        text,
        fc.oneof(fc.jsonValue({ stringUnit: 'binary' }), fc.constant(undefined), fc.uint8Array().map(Buffer.from)),
      ),
      // Past the 64 KiB chunk the text is hashed in pieces.
      fc.array(fc.string({ unit: 'binary', minLength: 500, maxLength: 2_000 }), { minLength: 40, maxLength: 80 }),
    );
    fc.assert(
      fc.property(fc.constantFrom('POST', 'PATCH'), text, body, text, (method, url, value, scope) => {
        expect(requestFingerprint(method, url, value, scope)).toBe(tokenByTokenFingerprint(method, url, value, scope));
      }),
      { numRuns: 300 },
    );
  });

  it('hashes raw bodies and empty bodies', () => {
    expect(requestFingerprint('POST', '/u', Buffer.from('abc'), 's')).not.toBe(
      requestFingerprint('POST', '/u', Buffer.from('abd'), 's'),
    );
    expect(requestFingerprint('POST', '/u', undefined, 's')).not.toBe(requestFingerprint('POST', '/u', null, 's'));
  });
});

describe('idempotencyRecordId', () => {
  it('separates scopes and never stores the key verbatim', () => {
    const id = idempotencyRecordId('user:alice', 'key-1');
    expect(id).not.toContain('key-1');
    expect(idempotencyRecordId('user:bob', 'key-1')).not.toBe(id);
    expect(idempotencyRecordId('user:alice\nkey', '1')).not.toBe(idempotencyRecordId('user:alice', 'key\n1'));
  });

  it('is the SHA-256 of the length-prefixed scope and the key, as earlier versions stored it', () => {
    const earlier = createHash('sha256').update('10:').update('user:alice').update('key-1').digest('base64url');
    expect(idempotencyRecordId('user:alice', 'key-1')).toBe(earlier);
  });
});
