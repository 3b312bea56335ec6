import { canonicalQuery, canonicalRequestString, splitUrl } from './canonical-request.util';
import { signRequest } from './sign-request';

/**
 * Published test vectors (README "Request signing"): fixed inputs → fixed signature. The expected
 * values were computed with plain `node:crypto` from the canonical string below, independently of
 * this implementation.
 */
const VECTOR_1 = {
  input: {
    method: 'POST',
    url: '/internal/transfers?currency=EUR&amount=100',
    body: '{"to":"acct_42","amount":100}',
    headers: { 'Content-Type': 'application/json' },
    keyId: 'k1',
    secret: 'rampart-test-vector-secret-0123456789',
    timestamp: 1700000000,
    nonce: 'n0nce-0123456789abcdef',
  },
  canonical:
    'RAMPART-HMAC-SHA256\nPOST\n/internal/transfers\namount=100&currency=EUR\ncontent-type:application/json\n' +
    '1700000000\nn0nce-0123456789abcdef\nk1\ne3c2ad1f0948001eddb43defc04a7b3e72dc68b9db15666eda496f07acbf43ca',
  signature: '99d7a388b3130e2e1d6b76bdf775b8157bd3280347e44e255a63a1cfd4952503',
};

const VECTOR_2 = {
  input: {
    method: 'get',
    url: 'https://api.example.com/internal/reports',
    keyId: 'k2',
    secret: 'rampart-second-vector-secret-abcdefgh',
    timestamp: 1700000000,
    nonce: 'n0nce-fedcba9876543210',
  },
  signature: 'a2845a1ccd3195fd3b03e088707d902551287f7e80f39889ea3bbcbbbf4bb92a',
};

describe('signRequest', () => {
  it('reproduces published vector 1 (POST with query and JSON body)', () => {
    expect(signRequest(VECTOR_1.input)).toEqual({
      'X-Signature': VECTOR_1.signature,
      'X-Timestamp': '1700000000',
      'X-Key-Id': 'k1',
      'X-Nonce': 'n0nce-0123456789abcdef',
    });
  });

  it('builds the documented canonical string', () => {
    expect(
      canonicalRequestString({
        method: 'post',
        path: '/internal/transfers',
        query: 'currency=EUR&amount=100',
        headers: [['content-type', 'application/json']],
        timestamp: '1700000000',
        nonce: 'n0nce-0123456789abcdef',
        keyId: 'k1',
        body: Buffer.from(VECTOR_1.input.body),
      }),
    ).toBe(VECTOR_1.canonical);
  });

  it('reproduces published vector 2 (GET from a full URL, no body, absent signed header)', () => {
    expect(signRequest(VECTOR_2.input)['X-Signature']).toBe(VECTOR_2.signature);
  });

  it('generates a fresh nonce and the current timestamp by default', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_900);
    try {
      const a = signRequest({ method: 'GET', url: '/x', keyId: 'k', secret: 's'.repeat(32) });
      const b = signRequest({ method: 'GET', url: '/x', keyId: 'k', secret: 's'.repeat(32) });
      expect(a['X-Nonce']).toMatch(/^[0-9a-f]{32}$/);
      expect(a['X-Nonce']).not.toBe(b['X-Nonce']);
      expect(a['X-Timestamp']).toBe('1700000000');
    } finally {
      now.mockRestore();
    }
  });

  it.each([
    ['', ''],
    ['a=1', 'a=1'],
    ['b=2&a=1&a=0', 'a=0&a=1&b=2'],
    ['z=1&&y=%20', 'y=%20&z=1'],
  ])('canonical query of %p is %p', (query, expected) => {
    expect(canonicalQuery(query)).toBe(expected);
  });

  it.each([
    ['/a/b?x=1', { path: '/a/b', query: 'x=1' }],
    ['https://h.example:8443/a?x=1#frag', { path: '/a', query: 'x=1' }],
    ['https://h.example', { path: '/', query: '' }],
  ])('splits %s', (url, expected) => {
    expect(splitUrl(url)).toEqual(expected);
  });
});
