import { randomToken } from './random.util';

describe('randomToken', () => {
  it('gives base64url strings of the requested entropy, never the same twice across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const token = randomToken(12);
      expect(token).toMatch(/^[A-Za-z0-9_-]{16}$/);
      seen.add(token);
    }
    expect(seen.size).toBe(2_000);
  });

  it('serves sizes larger than the pool directly', () => {
    expect(Buffer.from(randomToken(5_000), 'base64url')).toHaveLength(5_000);
  });
});
