import { SecurityConfigError } from '../core/errors/security-config.error';
import { DENY_ALL_PERMISSIONS_POLICY, resolveHeadersOptions } from './headers.options';

const ctx = { profile: 'production' as const, isTrustedProxy: () => false };
const resolve = (value: unknown) => resolveHeadersOptions(value, ctx);

describe('resolveHeadersOptions', () => {
  it('precomputes the API preset', () => {
    const r = resolve(undefined);
    expect(Object.fromEntries(r.set)).toEqual({
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'strict-transport-security': 'max-age=63072000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'permissions-policy': DENY_ALL_PERMISSIONS_POLICY,
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'x-permitted-cross-domain-policies': 'none',
    });
    expect(r.remove).toEqual(['x-powered-by', 'server']);
    expect(r.https).toEqual({ mode: 'off', exemptPaths: [] });
  });

  it('applies overrides, opt-outs, preload and custom headers', () => {
    const r = resolve({
      hsts: { maxAge: 31_536_000, preload: true },
      contentSecurityPolicy: false,
      frameOptions: 'SAMEORIGIN',
      custom: { 'Cross-Origin-Embedder-Policy': 'require-corp' },
      https: { mode: 'redirect', exemptPaths: ['/health'] },
    });
    const set = Object.fromEntries(r.set);
    expect(set['strict-transport-security']).toBe('max-age=31536000; includeSubDomains; preload');
    expect(set['content-security-policy']).toBeUndefined();
    expect(set['x-frame-options']).toBe('SAMEORIGIN');
    expect(set['cross-origin-embedder-policy']).toBe('require-corp');
    expect(r.https).toEqual({ mode: 'redirect', exemptPaths: ['/health'] });
  });

  it.each([
    [{ cacheControll: 'x' }, /headers\.cacheControll is not a known option\. Did you mean "headers\.cacheControl"/],
    [{ hsts: { maxAge: 100, preload: true } }, /preload requires includeSubDomains and a maxAge of at least 31536000/],
    [{ hsts: { maxAge: -1 } }, /hsts\.maxAge must be at least 0/],
    [{ referrerPolicy: 'no-referrer\r\nSet-Cookie: a=b' }, /line break or control character/],
    [{ custom: { 'Bad Name': 'x' } }, /is not a valid header name/],
    [{ custom: { 'X-Ok': 1 } }, /custom\.X-Ok must be a string/],
    [{ frameOptions: 'ALLOW-FROM x' }, /frameOptions must be one of "DENY", "SAMEORIGIN"/],
    [{ https: { mode: 'force' } }, /https\.mode must be one of/],
    [{ https: { exemptPaths: ['health'] } }, /must start with "\/"/],
    [{ cacheControl: '' }, /must be a non-empty string or false/],
    ['yes', /headers must be an object/],
  ])('refuses %p', (value, message) => {
    expect(() => resolve(value)).toThrow(SecurityConfigError);
    expect(() => resolve(value)).toThrow(message);
  });

  it('accepts a null-prototype object', () => {
    const value = Object.assign(Object.create(null) as object, { noSniff: false });
    expect(Object.fromEntries(resolve(value).set)['x-content-type-options']).toBeUndefined();
  });
});
