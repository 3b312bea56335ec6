import { closest, editDistance } from './validate.util';

describe('closest (did-you-mean hints)', () => {
  it('prefers a name the typo abbreviates, then the longest name the typo extends, then edit distance', () => {
    // "rateL" is an abbreviation of rateLimit, although "rate" is a shorter edit away.
    expect(closest('rateL', ['rate', 'rateLimit'])).toBe('rateLimit');
    expect(closest('rateLimitt', ['rate', 'rateLimit'])).toBe('rateLimit');
    expect(closest('key', ['keyIds', 'keys'])).toBe('keys');
  });

  it('gives no hint for names nothing resembles', () => {
    expect(closest('zzzzzzzz', ['rateLimit', 'storage', 'authorization'])).toBeUndefined();
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
