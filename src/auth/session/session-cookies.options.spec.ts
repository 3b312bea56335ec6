import { randomBytes } from 'node:crypto';
import type { ResolveContext } from '../../core/options/core.options';
import { resolveAuthOptions } from '../auth.options';
import { resolveSessionCookies } from './session-cookies.options';

const dev: ResolveContext = { profile: 'development', isTrustedProxy: () => false };
const prod: ResolveContext = { profile: 'production', isTrustedProxy: () => false };
const csrfSecret = randomBytes(32);
const resolve = (value: unknown, ctx = dev) => resolveSessionCookies(value, ctx, 'auth.session');

describe('auth.session options', () => {
  it('is off when unset', () => {
    expect(resolve(undefined)).toBeUndefined();
    expect(resolveAuthOptions({}, dev).session).toBeUndefined();
  });

  it('defaults: prefixed names, Lax, Secure, refresh cookie on /auth/session, X-CSRF-Token', () => {
    expect(resolve({ csrfSecret })).toMatchObject({
      accessCookie: '__Host-rampart_access',
      refreshCookie: '__Secure-rampart_refresh',
      csrfCookie: '__Host-rampart_csrf',
      csrfHeader: 'x-csrf-token',
      refreshPath: '/auth/session',
      sameSite: 'lax',
      secure: true,
    });
  });

  it('drops the prefixes by default when secure is off (browsers refuse them without Secure)', () => {
    expect(resolve({ csrfSecret, secure: false })).toMatchObject({
      accessCookie: 'rampart_access',
      refreshCookie: 'rampart_refresh',
      csrfCookie: 'rampart_csrf',
      secure: false,
    });
  });

  it('makes the guard read the access cookie', () => {
    const auth = resolveAuthOptions({ jwt: { secret: csrfSecret }, session: { csrfSecret: randomBytes(32) } }, dev);
    expect(auth.jwt.cookie).toBe('__Host-rampart_access');
  });

  it.each<[string, unknown, RegExp, ResolveContext?]>([
    ['no secret', {}, /auth\.session\.csrfSecret must be a string or Buffer/, dev],
    ['a short secret', { csrfSecret: 'x'.repeat(31) }, /auth\.session\.csrfSecret is 31 bytes.*at least 32/, dev],
    [
      'a typo',
      { csrfSecret, sameSit: 'lax' },
      /auth\.session\.sameSit is not a known option\. Did you mean "auth\.session\.sameSite"/,
      dev,
    ],
    ['SameSite=None', { csrfSecret, sameSite: 'none' }, /auth\.session\.sameSite must be one of/, dev],
    [
      'secure off in production',
      { csrfSecret, secure: false },
      /auth\.session\.secure cannot be false in the production profile/,
      prod,
    ],
    [
      'a __Host- refresh cookie',
      { csrfSecret, refreshCookie: '__Host-r' },
      /refreshCookie "__Host-r" cannot use the __Host- prefix/,
    ],
    [
      'a prefix without Secure',
      { csrfSecret, secure: false, accessCookie: '__Host-a' },
      /accessCookie "__Host-a" needs the Secure attribute/,
    ],
    ['an invalid cookie name', { csrfSecret, csrfCookie: 'a;b' }, /csrfCookie "a;b" is not a valid cookie name/, dev],
    ['one name twice', { csrfSecret, csrfCookie: '__Host-rampart_access' }, /uses one cookie name twice/, dev],
    ['the root path', { csrfSecret, refreshPath: '/' }, /refreshPath "\/" must be a path below \//, dev],
    ['a path with ;', { csrfSecret, refreshPath: '/a;Domain=x' }, /refreshPath .* must be a path/, dev],
    ['a relative path', { csrfSecret, refreshPath: 'auth' }, /refreshPath "auth" must be a path/, dev],
    ['a bad header name', { csrfSecret, csrfHeader: 'x csrf' }, /csrfHeader "x csrf" is not a valid header name/, dev],
    ['a null-prototype junk value', Object.create(null) as object, /csrfSecret must be a string or Buffer/, dev],
    ['a string', 'secret', /auth\.session must be an object/, dev],
  ])('refuses %s at boot', (...[, value, message, ctx]) => {
    expect(() => resolve(value, ctx)).toThrow(message);
  });

  it('allows secure: false outside production', () => {
    expect(resolve({ csrfSecret, secure: false }, dev)?.secure).toBe(false);
  });

  it('refuses auth.jwt.cookie naming another cookie than the session access cookie', () => {
    expect(() =>
      resolveAuthOptions({ jwt: { secret: csrfSecret, cookie: 'token' }, session: { csrfSecret } }, dev),
    ).toThrow(/auth\.jwt\.cookie names another cookie \("token"\) than auth\.session\.accessCookie/);
  });
});
