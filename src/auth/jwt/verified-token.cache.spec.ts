import { VerifiedTokenCache } from './verified-token.cache';

/** A token-shaped string: header.payload.signature. */
function token(payload: string, signature = 'c2lnbmF0dXJlLWJ5dGVzLXRoYXQta2V5LXRoZS1jYWNoZQ'): string {
  return `eyJhbGciOiJIUzI1NiJ9.${payload}.${signature}`;
}

describe('VerifiedTokenCache', () => {
  it('returns what was stored for the same token until its expiry', () => {
    const cache = new VerifiedTokenCache<string>(10);
    const t = token('eyJzdWIiOiJhbGljZSJ9');
    cache.set(t, 'alice', 2_000);

    expect(cache.get(t, 1_999)).toBe('alice');
    expect(cache.get(t, 2_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('misses a different token that shares the signature (a tampered payload is never a hit)', () => {
    const cache = new VerifiedTokenCache<string>(10);
    const genuine = token('eyJzdWIiOiJhbGljZSJ9');
    const tampered = token('eyJzdWIiOiJhZG1pbiJ9');
    cache.set(genuine, 'alice', 5_000);

    expect(cache.get(tampered, 1_000)).toBeUndefined();
    // The tampered token does not evict or replace the genuine entry either.
    cache.delete(tampered);
    expect(cache.get(genuine, 1_000)).toBe('alice');
    expect(cache.size).toBe(1);
  });

  it('keys entries by the whole token: tokens that share every character but one are separate entries', () => {
    const cache = new VerifiedTokenCache<string>(10);
    const tail = 'x'.repeat(64);
    const alice = token('eyJzdWIiOiJhbGljZSJ9', tail);
    const bob = token('eyJzdWIiOiJib2IifQ', tail);
    cache.set(alice, 'alice', 5_000);
    cache.set(bob, 'bob', 5_000);

    expect(cache.size).toBe(2);
    expect(cache.get(alice, 0)).toBe('alice');
    expect(cache.get(bob, 0)).toBe('bob');
    // A prefix or a suffix of a cached token is a different token.
    expect(cache.get(alice.slice(1), 0)).toBeUndefined();
    expect(cache.get(alice.slice(0, -1), 0)).toBeUndefined();
    expect(cache.get(tail, 0)).toBeUndefined();
    cache.delete(alice);
    expect(cache.get(alice, 0)).toBeUndefined();
    expect(cache.get(bob, 0)).toBe('bob');
  });

  it('keeps short tokens under their whole value', () => {
    const cache = new VerifiedTokenCache<number>(10);
    cache.set('a.b.c', 1, 5_000);
    expect(cache.get('a.b.c', 0)).toBe(1);
    expect(cache.get('x.b.c', 0)).toBeUndefined();
  });

  it('evicts the oldest entry past maxEntries and stores nothing with maxEntries 0', () => {
    const cache = new VerifiedTokenCache<number>(2);
    const [a, b, c] = ['A', 'B', 'C'].map((s) => token('p', `${s.repeat(40)}`));
    cache.set(a, 1, 5_000);
    cache.set(b, 2, 5_000);
    cache.set(c, 3, 5_000);
    expect([cache.get(a, 0), cache.get(b, 0), cache.get(c, 0)]).toEqual([undefined, 2, 3]);
    expect(cache.size).toBe(2);

    // Storing a token again replaces its entry without evicting another one.
    cache.set(c, 4, 5_000);
    expect([cache.get(b, 0), cache.get(c, 0)]).toEqual([2, 4]);

    const none = new VerifiedTokenCache<number>(0);
    none.set(a, 1, 5_000);
    expect(none.get(a, 0)).toBeUndefined();
    expect(none.size).toBe(0);
  });

  it('delete forgets the token and clear forgets every token', () => {
    const cache = new VerifiedTokenCache<number>(10);
    const t = token('p');
    cache.set(t, 1, 5_000);
    cache.delete(t);
    expect(cache.get(t, 0)).toBeUndefined();
    cache.set(t, 1, 5_000);
    cache.set(token('q'), 2, 5_000);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  describe('offer (the admission filter)', () => {
    it('stores a token the second time it is offered, not the first', () => {
      const cache = new VerifiedTokenCache<string>(10);
      const t = token('eyJzdWIiOiJhbGljZSJ9');
      expect(cache.offer(t, 'alice', 5_000)).toBe(false);
      expect(cache.get(t, 0)).toBeUndefined();
      expect(cache.offer(t, 'alice', 5_000)).toBe(true);
      expect(cache.get(t, 0)).toBe('alice');
    });

    it('never stores tokens that are each offered once, however many (no churn of the stored ones)', () => {
      const cache = new VerifiedTokenCache<number>(4);
      const hot = token('hot', 'H'.repeat(43));
      cache.offer(hot, 0, 5_000);
      cache.offer(hot, 0, 5_000);
      for (let i = 0; i < 1_000; i++) cache.offer(token(`p${i}`, `${i}`.padStart(43, 's')), i, 5_000);
      expect(cache.size).toBe(1);
      expect(cache.get(hot, 0)).toBe(0);
    });

    it('a stored entry is still the verified value of that exact token, with its expiry', () => {
      const cache = new VerifiedTokenCache<string>(10);
      const tail = 'z'.repeat(43);
      const alice = token('eyJzdWIiOiJhbGljZSJ9', tail);
      const bob = token('eyJzdWIiOiJib2IifQ', tail);
      // Same last characters: the filter cannot tell them apart, the map can.
      cache.offer(alice, 'alice', 2_000);
      expect(cache.offer(bob, 'bob', 2_000)).toBe(true);
      expect(cache.get(bob, 0)).toBe('bob');
      expect(cache.get(alice, 0)).toBeUndefined();
      expect(cache.get(bob, 2_000)).toBeUndefined();
    });

    it('stores every token of a round robin smaller than the cache by its second round', () => {
      const cache = new VerifiedTokenCache<number>(10_000);
      const tokens = Array.from({ length: 5_000 }, (_, i) => token(`p${i}`, `sig-${i}`.padStart(43, 'x')));
      for (let round = 0; round < 2; round++) tokens.forEach((t, i) => cache.offer(t, i, 5_000));
      expect(cache.size).toBe(5_000);
      expect(tokens.every((t, i) => cache.get(t, 0) === i)).toBe(true);
    });

    it('stores two tokens that alternate, whatever their hashes', () => {
      const cache = new VerifiedTokenCache<string>(10);
      const tail = 'q'.repeat(43);
      const [alice, bob] = [token('YWxpY2U', tail), token('Ym9i', tail)];
      for (let i = 0; i < 3; i++) {
        cache.offer(alice, 'alice', 5_000);
        cache.offer(bob, 'bob', 5_000);
      }
      expect([cache.get(alice, 0), cache.get(bob, 0)]).toEqual(['alice', 'bob']);
    });

    it('forgets a token seen once after maxEntries other new tokens (a working set larger than the cache does not churn it)', () => {
      const cache = new VerifiedTokenCache<number>(100);
      const cold = Array.from({ length: 250 }, (_, i) => token(`c${i}`, `cold-${i}`.padStart(43, 'y')));
      for (let round = 0; round < 3; round++) cold.forEach((t, i) => cache.offer(t, i, 5_000));
      // Each token comes back after 249 others: the filter was cleared in between, nothing is stored.
      expect(cache.size).toBeLessThanOrEqual(5);
    });

    it('stores nothing with maxEntries 0, and clear() forgets what the filter saw', () => {
      const none = new VerifiedTokenCache<number>(0);
      const t = token('p');
      none.offer(t, 1, 5_000);
      expect(none.offer(t, 1, 5_000)).toBe(false);
      expect(none.size).toBe(0);

      const cache = new VerifiedTokenCache<number>(10);
      cache.offer(t, 1, 5_000);
      cache.clear();
      expect(cache.offer(t, 1, 5_000)).toBe(false);
    });
  });
});
