import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AuthFeatureOptions } from '../auth.options';
import { SECURITY_OPTIONS } from '../../core/security.constants';
import { MemorySecurityStorage } from '../../storage/memory/memory.storage';
import { SecurityStorage, storageKey } from '../../storage/security-storage.interface';
import type { JwtClaims } from '../jwt/jwt-verifier';
import { RevocationReplica } from './revocation-replica';

const FEATURE = 'auth';

/**
 * Where revocations live. All keys of one subject share the `{auth:<sub>}` hash tag, so the
 * per-request check is ONE `getMany` on one Redis Cluster slot: the token's `jti`, the subject's
 * "revoked before" time and the token's session (refresh family). Every key expires when the
 * tokens it refers to would have expired anyway.
 *
 * @internal
 */
export const revocationKeys = {
  jti: (sub: string, jti: string) => storageKey(FEATURE, sub, `jti:${jti}`),
  before: (sub: string) => storageKey(FEATURE, sub, 'before'),
  session: (sub: string, sid: string) => storageKey(FEATURE, sub, `sid-revoked:${sid}`),
  family: (sub: string, sid: string) => storageKey(FEATURE, sub, `family:${sid}`),
};

/**
 * Revokes tokens by `jti`, by subject ("log out everywhere") and by session / refresh family, and
 * answers whether a verified token is revoked. Failures of the storage propagate
 * ({@link StorageUnavailableError}): callers fail closed.
 *
 * @publicApi
 */
@Injectable()
export class TokenRevocationService {
  /** The storage when it is the in-process memory store: then the check needs no promise. */
  private readonly memory?: MemorySecurityStorage;
  /** The local replica that answers during an outage (`auth.revocation.outage: 'replica'`). */
  private readonly replica?: RevocationReplica;

  constructor(
    @Inject(SecurityStorage) private readonly storage: SecurityStorage,
    @Inject(SECURITY_OPTIONS) private readonly options: AuthFeatureOptions,
    @Optional() replica?: RevocationReplica,
  ) {
    if (storage instanceof MemorySecurityStorage) this.memory = storage;
    if (replica?.enabled) this.replica = replica;
  }

  /**
   * The storage keys that can revoke a token: the subject's "revoked before" time, then its `jti`
   * and its session when present. Computed once per verified token (the guard caches them).
   */
  keysFor(claims: JwtClaims): string[] {
    const sub = claims.sub;
    const keys = [revocationKeys.before(sub)];
    if (typeof claims.jti === 'string') keys.push(revocationKeys.jti(sub, claims.jti));
    if (typeof claims.sid === 'string') keys.push(revocationKeys.session(sub, claims.sid));
    return keys;
  }

  /**
   * Whether the token is revoked: its jti, its subject (issued before a revocation) or its
   * session. Synchronous on the memory store (a promise costs more than the lookup there);
   * a promise on any other store. With the replica, a token either the storage or the replica
   * knows to be revoked is revoked, and a check the storage cannot answer is answered by the
   * replica when it can stand in; otherwise the storage error propagates (fail closed).
   */
  isRevoked(claims: JwtClaims, keys: readonly string[] = this.keysFor(claims)): boolean | Promise<boolean> {
    if (this.memory) return revokedBy(claims, this.memory.getManySync(keys));
    const replica = this.replica;
    if (!replica) return this.storage.getMany(keys).then((values) => revokedBy(claims, values));
    return this.storage.getMany(keys).then(
      (values) => {
        replica.storageAnswered();
        // Revocations only add up: one an empty (restarted) storage forgot still holds here.
        return revokedBy(claims, values) || revokedBy(claims, replica.known(keys));
      },
      (error: unknown) => revokedBy(claims, replica.lookup(keys, error)),
    );
  }

  /** Revokes one token until its `exp` (plus clock tolerance). */
  async revokeJti(sub: string, jti: string, expSec: number | undefined): Promise<void> {
    await this.write(revocationKeys.jti(sub, jti), '1', this.ttlUntil(expSec));
  }

  /** Revokes every token of `sub` issued up to now (refresh families included). */
  async revokeSubject(sub: string): Promise<void> {
    await this.write(revocationKeys.before(sub), String(Date.now()), this.longestLifetimeMs());
  }

  /** Revokes a session: its refresh family and every access token carrying its `sid`. */
  async revokeSession(sub: string, sid: string): Promise<void> {
    await this.write(revocationKeys.session(sub, sid), '1', this.longestLifetimeMs());
    await this.storage.delete(revocationKeys.family(sub, sid));
  }

  /** Writes one revocation, and appends it to the replicas' log when they are on. */
  private async write(key: string, value: string, ttlMs: number): Promise<void> {
    await this.storage.set(key, value, ttlMs);
    if (this.replica) await this.replica.record(key, value, ttlMs);
  }

  private ttlUntil(expSec: number | undefined): number {
    if (expSec === undefined) return this.longestLifetimeMs();
    const tolerance = this.options.auth.jwt.clockToleranceSec;
    return Math.max(1_000, (expSec + tolerance) * 1000 - Date.now());
  }

  /**
   * The longest any credential a revocation must outlive may live: refresh families, access
   * tokens, max age, and API keys created in a session (refused for as long as they could live).
   */
  private longestLifetimeMs(): number {
    const { jwt, apiKeys } = this.options.auth;
    const keys = apiKeys.enabled && apiKeys.revokeWithSession ? apiKeys.maxLifetimeSec : 0;
    const longest = Math.max(jwt.refreshFamilyTtlSec, jwt.accessTokenTtlSec, jwt.maxAgeSec ?? 0, keys);
    return (longest + jwt.clockToleranceSec) * 1000;
  }
}

/** Reads the values of {@link TokenRevocationService.keysFor}'s keys. */
function revokedBy(claims: JwtClaims, values: readonly (string | null)[]): boolean {
  if (values[1] != null || values[2] != null) return true;
  const before = values[0];
  if (before == null) return false;
  // A subject-wide revocation kills every token issued up to that millisecond, and iat-less ones.
  // Tokens from TokenService carry a fractional iat (ms precision), so a login right after the
  // revocation is valid; a whole-second iat (other issuers) counts from the start of its
  // second, so tokens of the revocation's own second stay revoked (never fail open).
  return typeof claims.iat !== 'number' || Math.round(claims.iat * 1000) <= revokedBeforeMs(before);
}

/**
 * The stored subject revocation time in ms. Values below 1e11 were written in seconds by earlier
 * versions (1e11 ms is 1973; 1e11 s is year 5138): read them as seconds, so an upgrade keeps
 * every revocation in force.
 */
function revokedBeforeMs(stored: string): number {
  const value = Number(stored);
  return value < 1e11 ? value * 1000 + 999 : value;
}
