import type { JsonWebKey } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { createRemoteJWKSet, customFetch, type FetchImplementation, type RemoteJWKSet } from 'jose';
import { importJwk, type ResolvedRemoteJwks } from '../auth.options';
import type { ResolvedJwtKey } from './jwt-crypto.util';
import { JwtVerificationError } from './jwt-error';

/** The `fetch` jose uses to download the set (injectable for tests). @internal */
export type FetchLike = (
  url: string,
  init: Parameters<FetchImplementation>[1],
) => Promise<{
  status: number;
  json(): Promise<unknown>;
}>;

/**
 * Keys of a remote JWKS (an identity provider's `jwks_uri`). jose downloads the set (timeout,
 * redirects refused, 200 and a JWKS shape required); this class keeps jose's fetching and adds the
 * cache policy jose does not have: keys are imported and pinned once per fetch,
 * selected by `kid`, trusted for `maxAgeMs`, and refetched when an unknown `kid` shows up, at most
 * once per `cooldownMs` (so a flood of made-up kids cannot hammer the provider). Each fetch is
 * bounded by `timeoutMs`; concurrent lookups share one fetch. A failed refresh keeps the last good
 * keys.
 *
 * @internal
 */
export class RemoteJwksSet {
  private readonly logger = new Logger('RemoteJwksSet');
  private keys = new Map<string, ResolvedJwtKey>();
  private unnamed: ResolvedJwtKey[] = [];
  private fetchedAt = -Infinity;
  private lastAttempt = -Infinity;
  private inFlight?: Promise<void>;
  private readonly jose: RemoteJWKSet;

  constructor(
    private readonly options: ResolvedRemoteJwks,
    fetchImpl?: FetchLike,
    private readonly now: () => number = Date.now,
  ) {
    // Only jose's download is used (reload + jwks()); its own freshness and cooldown, measured from
    // the last success, are not: a provider outage would then cost every request a fetch.
    this.jose = createRemoteJWKSet(new URL(options.url), {
      timeoutDuration: options.timeoutMs,
      ...(fetchImpl ? { [customFetch]: fetchImpl as unknown as FetchImplementation } : {}),
    });
  }

  /** The key for `kid` if it is cached and fresh (synchronous fast path). */
  peek(kid: string | undefined): ResolvedJwtKey | undefined {
    if (this.now() - this.fetchedAt > this.options.maxAgeMs) return undefined;
    return kid === undefined ? this.soleKey() : this.keys.get(kid);
  }

  /** The key for `kid`, fetching the JWKS when stale or when the kid is unknown (with cooldown). */
  async get(kid: string | undefined): Promise<ResolvedJwtKey> {
    const fresh = this.peek(kid);
    if (fresh) return fresh;
    // Stale keys or an unknown kid trigger a fetch, at most once per cooldown; meanwhile (and when
    // the provider is down) the last good keys keep serving.
    if (this.now() - this.lastAttempt >= this.options.cooldownMs) await this.refresh();
    const key = kid === undefined ? this.soleKey() : this.keys.get(kid);
    if (key) return key;
    if (this.fetchedAt === -Infinity) throw new JwtVerificationError('jwks_unavailable', 'no keys fetched yet');
    throw new JwtVerificationError('unknown_kid');
  }

  /** Fetches the JWKS now (deduplicated). Never throws: failures keep the previous keys. */
  refresh(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private soleKey(): ResolvedJwtKey | undefined {
    const all = this.keys.size + this.unnamed.length;
    if (all !== 1) return undefined;
    return this.unnamed[0] ?? this.keys.values().next().value;
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttempt = this.now();
    try {
      await this.jose.reload();
      this.install(this.jose.jwks());
    } catch (error) {
      const why =
        (error as Error).name === 'JWKSTimeout'
          ? `timed out after ${this.options.timeoutMs} ms`
          : (error as Error).message;
      this.logger.warn(`JWKS fetch from ${this.options.url} failed: ${why}`);
    }
  }

  private install(body: unknown): void {
    const list = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list)) throw new Error('response has no "keys" array');
    const keys = new Map<string, ResolvedJwtKey>();
    const unnamed: ResolvedJwtKey[] = [];
    for (const jwk of list as Array<JsonWebKey & { use?: unknown }>) {
      if (!jwk || typeof jwk !== 'object' || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
      try {
        const key = importJwk(jwk, this.options.defaultAlgorithm);
        if (key.kid) keys.set(key.kid, key);
        else unnamed.push(key);
      } catch {
        // A key we cannot use safely (symmetric, unknown curve, weak RSA) is skipped, not trusted.
      }
    }
    this.keys = keys;
    this.unnamed = unnamed;
    this.fetchedAt = this.now();
  }
}
