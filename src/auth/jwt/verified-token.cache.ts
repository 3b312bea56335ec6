/** Bits of the admission filter: 8 per entry, a power of two, at least 2^13, at most 2^26 (8 MiB). */
function bitCount(maxEntries: number): number {
  let bits = 1 << 13;
  while (bits < maxEntries * 8 && bits < 1 << 26) bits *= 2;
  return bits;
}

/**
 * A 32-bit FNV-1a hash of the token's last 16 characters (its signature's end): only the admission
 * filter uses it, where a collision at most lets a verified token in one request early.
 */
function tailHash(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - 16); i < token.length; i++) {
    hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A bounded map of tokens already verified, so a hot token skips the signature check. It is keyed
 * by the whole token string: only the very token that was verified is ever a hit. Entries carry
 * their own expiry (never later than the token's) and are dropped when read after it; past
 * `maxEntries` the oldest insertion goes first. Revocation is NOT cached: callers check it on
 * every request.
 *
 * {@link offer} admits a token the second time it is verified within a short while (TinyLFU's
 * "doorkeeper": a Bloom filter of the tokens verified since it was last cleared, two bits per
 * token, cleared after `maxEntries` new tokens): a token seen once is not stored. When more
 * distinct tokens are in use than the cache holds, storing each one only evicts another before it
 * is read again, and that churn (the entry, the token string kept alive past the young generation,
 * the eviction) cost more per request than the verification itself: about 10 µs of the 24 per
 * `authenticate` with 20,000 tokens cycling through 10,000 entries, in a loop over the service.
 *
 * @internal
 */
export class VerifiedTokenCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAtMs: number }>();
  /** The doorkeeper's bits: tokens verified once since it was last cleared. */
  private readonly seen: Uint32Array;
  /** Tokens marked in it since then; it is cleared after `maxEntries` of them. */
  private marked = 0;

  constructor(private readonly maxEntries: number) {
    this.seen = new Uint32Array(maxEntries === 0 ? 0 : bitCount(maxEntries) / 32);
  }

  get size(): number {
    return this.entries.size;
  }

  get(token: string, nowMs: number): V | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Stores a token just verified if it was verified once before, recently (see the class notes);
   * otherwise remembers that it was seen. Returns whether it was stored.
   */
  offer(token: string, value: V, expiresAtMs: number): boolean {
    if (this.maxEntries === 0) return false;
    const mask = this.seen.length * 32 - 1;
    const h1 = tailHash(token);
    // A second position from the same hash (its halves swapped and remixed).
    const h2 = Math.imul((h1 >>> 16) | (h1 << 16), 0x2c1b3c6d) >>> 0;
    const a = h1 & mask;
    const b = h2 & mask;
    const bitA = 1 << (a & 31);
    const bitB = 1 << (b & 31);
    if ((this.seen[a >>> 5] & bitA) !== 0 && (this.seen[b >>> 5] & bitB) !== 0) {
      this.set(token, value, expiresAtMs);
      return true;
    }
    if (++this.marked > this.maxEntries) {
      this.seen.fill(0);
      this.marked = 1;
    }
    this.seen[a >>> 5] |= bitA;
    this.seen[b >>> 5] |= bitB;
    return false;
  }

  /** Stores a token (no admission filter). */
  set(token: string, value: V, expiresAtMs: number): void {
    if (this.maxEntries === 0) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { value, expiresAtMs });
  }

  /** Forgets `token`. */
  delete(token: string): void {
    this.entries.delete(token);
  }

  clear(): void {
    this.entries.clear();
    this.seen.fill(0);
    this.marked = 0;
  }
}
