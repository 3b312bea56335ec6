import { randomToken, randomUuid } from './random.util';

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

describe('randomUuid', () => {
  it('gives version 4 UUIDs, never the same twice across pool refills, interleaved with tokens', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = randomUuid();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
      if (i % 7 === 0) randomToken(33);
    }
    expect(seen.size).toBe(2_000);
  });

  it('returns a string that later calls do not change', () => {
    const first = randomUuid();
    const copy = `${first}`;
    for (let i = 0; i < 300; i++) randomUuid();
    expect(first).toBe(copy);
  });
});
