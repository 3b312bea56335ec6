import { closest, editDistance } from './validate.util';
import { TOP_LEVEL_KEYS } from '../../security.options';

describe('closest (did-you-mean hints)', () => {
  it.each([
    ['rate', 'rateLimit'],
    ['rateLimits', 'rateLimit'],
    ['authorizations', 'authorization'],
    ['responseFilter', 'responseFiltering'],
    ['storag', 'storage'],
    ['idem', 'idempotency'],
  ])('suggests %s → %s among the top-level options', (typo, expected) => {
    expect(closest(typo, TOP_LEVEL_KEYS)).toBe(expected);
  });

  it('prefers a name the typo abbreviates, then the longest name the typo extends, then edit distance', () => {
    // "rateL" is an abbreviation of rateLimit, although "rate" is a shorter edit away.
    expect(closest('rateL', ['rate', 'rateLimit'])).toBe('rateLimit');
    expect(closest('rateLimitt', ['rate', 'rateLimit'])).toBe('rateLimit');
    expect(closest('key', ['keyIds', 'keys'])).toBe('keys');
  });

  it('gives no hint for names nothing resembles', () => {
    expect(closest('zzzzzzzz', TOP_LEVEL_KEYS)).toBeUndefined();
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
