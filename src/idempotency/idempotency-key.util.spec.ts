import { idempotencyRecordId, parseIdempotencyKey, requestFingerprint } from './idempotency-key.util';

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
});
