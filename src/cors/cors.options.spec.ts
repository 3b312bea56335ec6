import { SecurityConfigError } from '../core/errors/security-config.error';
import { isOriginAllowed } from './cors-origin.util';
import { resolveCorsOptions, type CorsOptions } from './cors.options';
import type { SecurityProfile } from '../core/options/core.options';

function resolve(value: unknown, profile: SecurityProfile = 'development') {
  return resolveCorsOptions(value, { profile, isTrustedProxy: () => false });
}

describe('resolveCorsOptions', () => {
  it('defaults to no cross-origin access with the documented headers', () => {
    const r = resolve(undefined);
    expect(r.enabled).toBe(true);
    expect(r.rules).toEqual([]);
    expect(r.headers).toEqual({
      allowMethods: 'GET, HEAD, POST, PUT, PATCH, DELETE',
      allowHeaders: 'Authorization, Content-Type, Idempotency-Key, X-Request-ID',
      exposeHeaders: 'RateLimit, RateLimit-Policy, Retry-After, X-Request-ID',
      maxAge: '600',
    });
  });

  describe('origin matching', () => {
    const policy = resolve({ origins: ['https://app.example.com', 'https://*.example.org', 'http://localhost:5173'] });
    it.each([
      ['https://app.example.com', true],
      ['https://app.example.com:8443', false],
      ['http://app.example.com', false],
      ['https://APP.example.com', false],
      ['https://app.example.com.evil.com', false],
      ['https://a.example.org', true],
      ['https://a.b.example.org', true],
      ['https://example.org', false],
      ['https://evil-example.org', false],
      ['https://evilexample.org', false],
      ['https://example.org.evil.com', false],
      ['https://a.example.org:444', false],
      ['http://a.example.org', false],
      ['https://a_b.example.org', false],
      ['http://localhost:5173', true],
      ['http://localhost:5174', false],
      ['null', false],
    ])('%s → %s', (origin, expected) => {
      expect(isOriginAllowed(policy, origin)).toBe(expected);
    });

    it('accepts an anchored RegExp and matches only what it anchors', () => {
      const r = resolve({ origins: [/^https:\/\/pr-\d+\.staging\.example\.com$/] });
      expect(isOriginAllowed(r, 'https://pr-12.staging.example.com')).toBe(true);
      expect(isOriginAllowed(r, 'https://pr-12.staging.example.com.evil.com')).toBe(false);
      const classes = resolve({ origins: [/^https:\/\/[a-z0-9-]+\.example\.com(:[.0-9]+)?$/] });
      expect(isOriginAllowed(classes, 'https://a.example.com')).toBe(true);
    });

    it('allows any origin with "*" and no credentials', () => {
      expect(isOriginAllowed(resolve({ origins: ['*'] }), 'https://whatever.test')).toBe(true);
    });
  });

  it('selects the environment override for the active profile', () => {
    const options: CorsOptions = {
      origins: ['https://app.example.com'],
      maxAge: 60,
      environments: { development: { origins: ['http://localhost:3000'] }, production: { credentials: true } },
    };
    const dev = resolve(options, 'development');
    expect([...dev.exact]).toEqual(['http://localhost:3000']);
    expect(dev.credentials).toBe(false);
    const prod = resolve(options, 'production');
    expect([...prod.exact]).toEqual(['https://app.example.com']);
    expect(prod.credentials).toBe(true);
    expect(prod.maxAge).toBe(60);
  });

  it.each<[string, unknown, SecurityProfile, RegExp]>([
    [
      '* with credentials',
      { origins: ['*'], credentials: true },
      'development',
      /cors\.origins is "\*" while credentials/,
    ],
    ['the null origin', { origins: ['null'] }, 'development', /cors\.origins\[0\] is the "null" origin/],
    ['http in production', { origins: ['http://app.example.com'] }, 'production', /plain-http origin in production/],
    [
      'http in the production override',
      { environments: { production: { origins: ['http://x.example.com'] } } },
      'production',
      /cors\.environments\.production\.origins\[0\].*plain-http/,
    ],
    ['an unanchored RegExp', { origins: [/example\.com$/] }, 'development', /not anchored at both ends/],
    ['a RegExp anchored only on one side', { origins: [/^https:\/\/example\.com/] }, 'development', /not anchored/],
    ['a top-level alternation', { origins: [/^https:\/\/a\.com|b\.com$/] }, 'development', /not anchored/],
    ['a global RegExp', { origins: [/^https:\/\/a\.com$/g] }, 'development', /g or y flag/],
    ['an unescaped host dot', { origins: [/^https:\/\/app.example\.com$/] }, 'development', /unescaped "\."/],
    ['a dot wildcard', { origins: [/^https:\/\/.*\.example\.com$/] }, 'development', /unescaped "\."/],
    ['max-age above the browser caps', { maxAge: 86401 }, 'development', /cors\.maxAge must be at most 86400/],
    ['a trailing slash', { origins: ['https://app.example.com/'] }, 'development', /is not an origin/],
    ['a path', { origins: ['https://app.example.com/x'] }, 'development', /is not an origin/],
    ['the default port', { origins: ['https://app.example.com:443'] }, 'development', /default port/],
    ['upper case', { origins: ['https://App.example.com'] }, 'development', /is not an origin/],
    ['a public-suffix wildcard', { origins: ['https://*.github.io'] }, 'development', /anyone can register/],
    ['a TLD wildcard', { origins: ['https://*.com'] }, 'development', /anyone can register/],
    ['a mid-host wildcard', { origins: ['https://app.*.example.com'] }, 'development', /is not an origin/],
    ['"*" mixed with origins', { origins: ['*', 'https://a.com'] }, 'development', /mixes "\*"/],
    ['a "*" method', { methods: ['*'] }, 'development', /methods\[0\] is "\*"/],
    ['a typo', { orgins: [] }, 'development', /cors\.orgins is not a known option\. Did you mean "cors\.origins"/],
    ['an unknown environment', { environments: { prod: {} } }, 'development', /environments\.prod is not a known/],
    ['origins not an array', { origins: 'https://a.com' }, 'development', /must be an array/],
    ['a null-prototype junk section', Object.create(null) as object, 'development', /^$/],
  ])('refuses %s', (_name, value, profile, message) => {
    if (message.source === '^$') {
      expect(() => resolve(value, profile)).not.toThrow();
      return;
    }
    expect(() => resolve(value, profile)).toThrow(SecurityConfigError);
    expect(() => resolve(value, profile)).toThrow(message);
  });
});
