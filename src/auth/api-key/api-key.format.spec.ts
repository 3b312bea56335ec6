import { checksum, generateApiKey, parseApiKey, randomBase62 } from './api-key.format';

describe('API key format', () => {
  it('round-trips: prefix, id and checksum', () => {
    const { key, id } = generateApiKey('sk_test');
    expect(key).toMatch(/^sk_test_[0-9A-Za-z]{44}_[0-9A-Za-z]{6}$/);
    expect(parseApiKey(key, ['sk_live', 'sk_test'])).toEqual({ prefix: 'sk_test', id });
  });

  it.each([
    ['a flipped character', (k: string) => k.slice(0, 20) + (k[20] === 'a' ? 'b' : 'a') + k.slice(21)],
    ['an unknown prefix', (k: string) => k.replace('sk_test', 'sk_live')],
    ['a truncated body', (k: string) => k.slice(0, 15) + k.slice(16)],
    ['no checksum', (k: string) => k.slice(0, k.lastIndexOf('_'))],
    ['an overlong key', (k: string) => k + 'x'.repeat(200)],
  ])('rejects %s offline', (_name, mutate) => {
    const { key } = generateApiKey('sk_test');
    expect(parseApiKey(mutate(key), ['sk_test'])).toBeUndefined();
  });

  it('pads the checksum to 6 base62 characters', () => {
    expect(checksum('')).toBe('000000');
    expect(checksum('hello')).toHaveLength(6);
  });

  it('draws every base62 character', () => {
    expect(new Set(randomBase62(5000)).size).toBe(62);
  });
});
