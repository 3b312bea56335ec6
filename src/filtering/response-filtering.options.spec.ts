import { SecurityConfigError } from '../core/errors/security-config.error';
import { normalizeFieldName, resolveResponseFilteringOptions } from './response-filtering.options';
import type { ResolveContext } from '../core/options/core.options';

const ctx: ResolveContext = { profile: 'development', isTrustedProxy: () => false };
const resolve = (value: unknown) => resolveResponseFilteringOptions(value, ctx);

describe('resolveResponseFilteringOptions', () => {
  it('denies the default sensitive fields, normalised', () => {
    const { denylist, enabled, maxDepth, rolesAsGroups } = resolve(undefined);
    expect(enabled).toBe(true);
    expect(maxDepth).toBe(32);
    expect(rolesAsGroups).toBe(true);
    expect([...denylist].sort()).toEqual(
      ['apikey', 'internalnotes', 'password', 'passwordhash', 'refreshtoken', 'secret', 'ssn', 'token'].sort(),
    );
  });

  it('replaces the list with denylist and adds with extraDenylist', () => {
    expect([...resolve({ denylist: ['pin'] }).denylist]).toEqual(['pin']);
    expect(resolve({ extraDenylist: ['Credit_Card'] }).denylist.has('creditcard')).toBe(true);
    expect(resolve({ extraDenylist: ['Credit_Card'] }).denylist.has('password')).toBe(true);
  });

  it.each([
    [
      { denylst: [] },
      /responseFiltering\.denylst is not a known option\. Did you mean "responseFiltering\.denylist"\?/,
    ],
    [{ denylist: 'password' }, /denylist must be an array of strings/],
    [{ denylist: ['_-'] }, /contains "_-", which is empty/],
    [{ maxDepth: 0 }, /maxDepth must be at least 1/],
    [{ maxDepth: 2.5 }, /maxDepth must be a whole number/],
    [{ rolesAsGroups: 1 }, /rolesAsGroups must be true or false/],
    [[], /responseFiltering must be an object, got an array/],
  ])('refuses %j', (value, message) => {
    expect(() => resolve(value)).toThrow(SecurityConfigError);
    expect(() => resolve(value)).toThrow(message);
  });

  it.each([
    ['passwordHash', 'passwordhash'],
    ['password_hash', 'passwordhash'],
    ['API-KEY', 'apikey'],
    ['refreshToken', 'refreshtoken'],
  ])('normalises %s to %s', (name, normalized) => {
    expect(normalizeFieldName(name)).toBe(normalized);
  });
});
