import { createHmac, hash as digestOf, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../../core/context/principal.interface';
import { SecurityErrorCode } from '../../core/errors/error-codes';
import { Messages } from '../../core/errors/messages.constant';
import { SecurityConfigError } from '../../core/errors/security-config.error';
import { securityException } from '../../core/errors/security-exception';
import { SecurityEventType } from '../../core/events/security-event.interface';
import { SecurityEvents } from '../../core/events/security-events.service';
import type { ResolvedApiKeyOptions } from '../auth.options';
import type { AuthFeatureOptions } from '../auth.options';
import { SECURITY_OPTIONS } from '../../core/security.constants';
import { SecurityStorage } from '../../storage/security-storage.interface';
import { TokenRevocationService } from '../tokens/token-revocation.service';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.interface';
import { generateApiKey, parseApiKey } from './api-key.format';
import { StorageApiKeyStore } from './storage-api-key.store';

/** What `ApiKeyService.create` accepts. @publicApi */
export interface CreateApiKeyInput {
  /** Who the key acts for (becomes `Principal.id`). */
  ownerId: string;
  name?: string;
  scopes?: readonly string[];
  roles?: readonly string[];
  tier?: string;
  /**
   * Lifetime in seconds, at most `auth.apiKeys.maxLifetimeSec`.
   * @default auth.apiKeys.maxLifetimeSec (90 days)
   */
  expiresInSec?: number;
  /** One of `auth.apiKeys.prefixes`. @default the first */
  prefix?: string;
}

/** What `ApiKeyService.createFor` accepts: the owner is the authenticated principal. @publicApi */
export type CreateOwnApiKeyInput = Omit<CreateApiKeyInput, 'ownerId'>;

/** A key record without its hash: safe to return to clients and logs. @publicApi */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash'>;

/** A newly created key. `key` is shown ONCE: it cannot be recovered later. @publicApi */
export interface CreatedApiKey {
  key: string;
  info: ApiKeyInfo;
}

/** Why a key was refused (for security events only). @publicApi */
export type ApiKeyFailureReason =
  'malformed' | 'unknown_key' | 'hash_mismatch' | 'revoked' | 'expired' | 'test_key_in_production' | 'session_revoked';

/** An API key was refused; `reason` is for events, never for clients. @publicApi */
export class ApiKeyVerificationError extends Error {
  constructor(readonly reason: ApiKeyFailureReason) {
    super(reason);
    this.name = this.constructor.name;
  }
}

/** A record without its hash, with arrays of its own (stored records may be shared and frozen). */
function info(record: ApiKeyRecord): ApiKeyInfo {
  const { hash: _hash, ...rest } = record;
  return { ...rest, scopes: [...rest.scopes], roles: [...rest.roles] };
}

/** Compare-and-set attempts of one update before giving up (each lost to a concurrent write). */
const UPDATE_ATTEMPTS = 5;

/** What a verified record needs on every request, computed once per record object. */
interface VerifiedRecord {
  hash: Buffer;
  principal?: Principal;
  /**
   * SHA-256 of the one key whose HMAC matched `hash`, once a request presented it: the same key on
   * the same (unchanged, frozen) record skips the HMAC and compares this digest instead.
   */
  keyDigest?: Buffer;
}

/**
 * Creates, verifies, rotates and revokes API keys of the form `<prefix>_<id><secret>_<crc32>`.
 * Only an HMAC-SHA256 of the key under a server-side pepper is stored; a key is found by its
 * public id and compared in constant time. A key with a bad shape or checksum is refused without
 * touching the store.
 *
 * @publicApi
 */
@Injectable()
export class ApiKeyService {
  private readonly config: ResolvedApiKeyOptions;
  private readonly store: ApiKeyStore;
  /**
   * The store this service built itself (no `auth.apiKeys.store`), whose `lookup` may skip the
   * promise. A configured store, a `StorageApiKeyStore` subclass included, is read through its
   * own `findById`, which it may have overridden.
   */
  private readonly ownStore?: StorageApiKeyStore;
  private readonly lastTouched = new Map<string, number>();
  /**
   * Per frozen record object: its decoded hash and principal. The default store hands out the same
   * frozen object while the stored record is unchanged, so a hot key decodes and builds them once;
   * a revocation or rotation stores a new record, hence a new object.
   */
  private readonly verified = new WeakMap<ApiKeyRecord, VerifiedRecord>();

  constructor(
    @Inject(SECURITY_OPTIONS) options: AuthFeatureOptions,
    @Inject(SecurityStorage) storage: SecurityStorage,
    private readonly events: SecurityEvents,
    private readonly revocation: TokenRevocationService,
  ) {
    this.config = options.auth.apiKeys;
    this.ownStore = this.config.store ? undefined : new StorageApiKeyStore(storage);
    this.store = this.config.store ?? (this.ownStore as StorageApiKeyStore);
  }

  /** Whether API keys are configured (`auth.apiKeys.pepper`). */
  get enabled(): boolean {
    return this.config.enabled;
  }

  /**
   * Creates a key, server side (provisioning, an admin tool). From a request made by the key's
   * future owner, use {@link createFor}: it checks that the login is recent and ties the key to
   * the session. The returned `key` is the only time the full key exists outside the client.
   * @throws {TypeError} for an unknown prefix, a missing owner, or a test key in production
   * @throws {RangeError} when `expiresInSec` exceeds `auth.apiKeys.maxLifetimeSec`
   */
  async create(input: CreateApiKeyInput, context: { request?: unknown } = {}): Promise<CreatedApiKey> {
    return this.createRecord(input, context, {});
  }

  /**
   * Creates a key for the authenticated principal (`@CurrentPrincipal()`), from a request. The
   * principal must be a user (a key cannot mint keys) whose login is at most
   * `auth.apiKeys.mintMaxLoginAgeSec` old (`auth_time`, else `iat`); the key remembers the session
   * (`sid`) and is refused once that session or the user is revoked (`revokeWithSession`; a token
   * without `sid`: once the user is revoked).
   *
   * @example
   * ```ts
   * @Post('api-keys')
   * create(@CurrentPrincipal() principal: Principal, @Body() body: CreateKeyDto) {
   *   return this.apiKeys.createFor(principal, { name: body.name, scopes: body.scopes });
   * }
   * ```
   * @throws {ForbiddenException} FORBIDDEN when the principal is not a user (an API key)
   * @throws {UnauthorizedException} RECENT_LOGIN_REQUIRED when the login is too old
   * @throws {BadRequestException} BAD_REQUEST for a refused prefix or lifetime
   */
  async createFor(
    principal: Principal,
    input: CreateOwnApiKeyInput = {},
    context: { request?: unknown } = {},
  ): Promise<CreatedApiKey> {
    if (principal.type !== 'user') {
      throw securityException(403, SecurityErrorCode.FORBIDDEN, 'API keys can only be created from a user login');
    }
    this.assertRecentLogin(principal, context);
    const claims = principal.claims;
    try {
      return await this.createRecord({ ...input, ownerId: principal.id }, context, {
        minted: true,
        ...(typeof claims.sid === 'string' ? { sessionId: claims.sid } : {}),
      });
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) {
        throw securityException(
          400,
          SecurityErrorCode.BAD_REQUEST,
          error.message.replace(/^ApiKeyService\.create: /, ''),
        );
      }
      throw error;
    }
  }

  private assertRecentLogin(principal: Principal, context: { request?: unknown }): void {
    const { auth_time: authTime, iat } = principal.claims;
    const loginAt = typeof authTime === 'number' ? authTime : typeof iat === 'number' ? iat : undefined;
    const maxAge = this.config.mintMaxLoginAgeSec;
    if (loginAt !== undefined && Date.now() / 1000 - loginAt <= maxAge) return;
    this.events.emit({
      type: SecurityEventType.AUTH_FAILED,
      outcome: 'blocked',
      reason: 'recent_login_required',
      request: context.request,
      principalId: principal.id,
      details: { action: 'api_key.create', maxAgeSec: maxAge },
    });
    throw securityException(401, SecurityErrorCode.RECENT_LOGIN_REQUIRED, Messages.RECENT_LOGIN_REQUIRED(maxAge));
  }

  private async createRecord(
    input: CreateApiKeyInput,
    context: { request?: unknown },
    origin: Pick<ApiKeyRecord, 'minted' | 'sessionId'>,
  ): Promise<CreatedApiKey> {
    const prefix = input.prefix ?? this.config.prefixes[0];
    if (!this.config.prefixes.includes(prefix)) {
      throw new TypeError(`ApiKeyService.create: prefix must be one of ${this.config.prefixes.join(', ')}`);
    }
    if (this.config.refusedPrefixes.includes(prefix)) {
      throw new TypeError(
        `ApiKeyService.create: test keys (${prefix}) are refused in production; set auth.apiKeys.allowTestKeysInProduction to create them`,
      );
    }
    if (typeof input.ownerId !== 'string' || !input.ownerId)
      throw new TypeError('ApiKeyService.create: ownerId is required');
    const lifetimeSec = input.expiresInSec ?? this.config.maxLifetimeSec;
    if (!Number.isFinite(lifetimeSec) || lifetimeSec <= 0 || lifetimeSec > this.config.maxLifetimeSec) {
      throw new RangeError(
        `ApiKeyService.create: expiresInSec must be between 1 and ${this.config.maxLifetimeSec} (auth.apiKeys.maxLifetimeSec)`,
      );
    }
    const { key, id } = generateApiKey(prefix);
    const now = Date.now();
    const record: ApiKeyRecord = {
      id,
      prefix,
      hash: this.hash(key),
      ownerId: input.ownerId,
      ...(input.name ? { name: input.name } : {}),
      scopes: [...(input.scopes ?? [])],
      roles: [...(input.roles ?? [])],
      ...(input.tier ? { tier: input.tier } : {}),
      createdAt: now,
      expiresAt: now + lifetimeSec * 1000,
      ...origin,
    };
    await this.store.save(record);
    this.events.emit({
      type: SecurityEventType.API_KEY_CREATED,
      outcome: 'success',
      request: context.request,
      principalId: input.ownerId,
      details: { keyId: id, prefix, scopes: record.scopes, ...(origin.sessionId ? { sid: origin.sessionId } : {}) },
    });
    return { key, info: info(record) };
  }

  /**
   * Checks a presented key and returns its record.
   * @throws {ApiKeyVerificationError} with the precise reason
   * @throws {StorageUnavailableError} when the store does not answer
   */
  async verify(key: string): Promise<ApiKeyInfo> {
    return info(await this.check(key));
  }

  /**
   * {@link verify} then {@link toPrincipal}, for the authentication guard: the principal is built
   * once per stored record, not per request. Synchronous (no promise) on the default store over the
   * memory storage; a promise otherwise. Throws, or rejects with, the same errors.
   *
   * @internal
   */
  principalFor(key: string): Principal | Promise<Principal> {
    const record = this.check(key);
    return record instanceof Promise ? record.then((r) => this.principalOf(r)) : this.principalOf(record);
  }

  private principalOf(record: ApiKeyRecord): Principal {
    const memo = this.memo(record);
    return (memo.principal ??= this.toPrincipal(record));
  }

  /**
   * Applies `change` to the stored record of `id`; `change` returning `undefined` writes nothing.
   * With a store that has `replace` (the default one does), a write made meanwhile is never
   * overwritten: `change` is applied again to the newer record. Resolves to the record written (or
   * left), `null` for an unknown key.
   */
  private async update(
    id: string,
    change: (record: ApiKeyRecord) => ApiKeyRecord | undefined,
  ): Promise<ApiKeyRecord | null> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current = await this.store.findById(id);
      if (!current) return null;
      const next = change(current);
      if (!next) return current;
      if (!this.store.replace) {
        await this.store.save(next);
        return next;
      }
      if (await this.store.replace(current, next)) return next;
    }
    throw new Error(`API key ${id} changed ${UPDATE_ATTEMPTS} times while being updated; try again`);
  }

  /**
   * The record of a presented key: shape, id, prefix, hash (constant time), revocation, expiry,
   * test keys, the minting session. The record is read from the store on every call, so a
   * revocation, a rotation or a new expiry counts from the next request. Synchronous where the
   * store and the revocation check are (the default store on the memory storage).
   */
  private check(key: string): ApiKeyRecord | Promise<ApiKeyRecord> {
    const parsed = parseApiKey(key, this.config.prefixes);
    if (!parsed) throw new ApiKeyVerificationError('malformed');
    if (this.ownStore) {
      const found = this.ownStore.lookup(parsed.id);
      if (!(found instanceof Promise)) return this.accept(key, parsed.prefix, found);
      return found.then((record) => this.accept(key, parsed.prefix, record));
    }
    return Promise.resolve(this.store.findById(parsed.id)).then((record) => this.accept(key, parsed.prefix, record));
  }

  private accept(key: string, prefix: string, record: ApiKeyRecord | null): ApiKeyRecord | Promise<ApiKeyRecord> {
    if (!record || record.prefix !== prefix) throw new ApiKeyVerificationError('unknown_key');
    this.assertKeyMatches(record, key);
    const now = Date.now();
    if (record.revokedAt !== undefined && record.revokedAt <= now) throw new ApiKeyVerificationError('revoked');
    if (record.expiresAt !== undefined && record.expiresAt <= now) throw new ApiKeyVerificationError('expired');
    if (record.createdAt + this.config.maxLifetimeSec * 1000 <= now) throw new ApiKeyVerificationError('expired');
    if (this.config.refusedPrefixes.includes(record.prefix)) {
      throw new ApiKeyVerificationError('test_key_in_production');
    }
    if (!record.minted || !this.config.revokeWithSession) return this.used(record, now);
    const revoked = this.sessionRevoked(record);
    return typeof revoked === 'boolean'
      ? this.usedUnless(revoked, record, now)
      : revoked.then((r) => this.usedUnless(r, record, now));
  }

  /**
   * Compares the key's HMAC with the stored one, in constant time. Once a key has matched a
   * frozen record (the default store's, shared while the stored text is unchanged), that record
   * remembers the key's SHA-256: the same key then costs a SHA-256 and a constant-time compare
   * instead of the HMAC (about half the cost). Any change to the record (revocation, rotation,
   * last-used write) is a new object, verified afresh; the SHA-256 of a 190-bit secret is no
   * shortcut to the key, and the pepper still guards what is stored.
   */
  private assertKeyMatches(record: ApiKeyRecord, key: string): void {
    const memo = this.memo(record);
    const known = memo.keyDigest;
    const digest = digestOf('sha256', key, 'buffer');
    if (known !== undefined && timingSafeEqual(known, digest)) return;
    const expected = memo.hash;
    const actual = this.mac(key);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw new ApiKeyVerificationError('hash_mismatch');
    }
    memo.keyDigest = digest;
  }

  private usedUnless(revoked: boolean, record: ApiKeyRecord, now: number): ApiKeyRecord {
    if (revoked) throw new ApiKeyVerificationError('session_revoked');
    return this.used(record, now);
  }

  private used(record: ApiKeyRecord, now: number): ApiKeyRecord {
    this.touch(record.id, now);
    return record;
  }

  /**
   * A key minted from a login is refused once its owner (or its session) is revoked: the same
   * revocation records as the session's tokens, with the key's creation time as their `iat`.
   * Synchronous on the memory storage, like the tokens' own check.
   */
  private sessionRevoked(record: ApiKeyRecord): boolean | Promise<boolean> {
    const claims = {
      sub: record.ownerId,
      iat: record.createdAt / 1000,
      ...(record.sessionId ? { sid: record.sessionId } : {}),
    };
    return this.revocation.isRevoked(claims);
  }

  /**
   * The decoded hash and principal of a record: kept for frozen records only (the default store's),
   * which cannot change in place. A custom store may hand out the same object after editing it
   * (new scopes, say): its records are read afresh on every request.
   */
  private memo(record: ApiKeyRecord): VerifiedRecord {
    let memo = this.verified.get(record);
    if (!memo) {
      memo = { hash: Buffer.from(record.hash, 'base64url') };
      if (Object.isFrozen(record)) this.verified.set(record, memo);
    }
    return memo;
  }

  /** The principal of a verified key. */
  toPrincipal(record: ApiKeyInfo): Principal {
    return Object.freeze({
      type: 'api-key',
      id: record.ownerId,
      roles: Object.freeze([...record.roles]),
      scopes: Object.freeze([...record.scopes]),
      claims: Object.freeze({ keyId: record.id, prefix: record.prefix, ...(record.name ? { name: record.name } : {}) }),
      ...(record.tier ? { tier: record.tier } : {}),
      credentialId: record.id,
    });
  }

  /** A key's record without its hash; `undefined` when unknown. */
  async get(id: string): Promise<ApiKeyInfo | undefined> {
    const record = await this.store.findById(id);
    return record ? info(record) : undefined;
  }

  /** Revokes a key now. Resolves false when the key is unknown. */
  async revoke(id: string, context: { request?: unknown } = {}): Promise<boolean> {
    const record = await this.update(id, (r) =>
      r.revokedAt === undefined ? { ...r, revokedAt: Date.now() } : undefined,
    );
    if (!record) return false;
    this.events.emit({
      type: SecurityEventType.API_KEY_REVOKED,
      outcome: 'success',
      request: context.request,
      principalId: record.ownerId,
      details: { keyId: id },
    });
    return true;
  }

  /**
   * Replaces a key with a new one (same owner, scopes, roles, tier, name). The old key keeps working
   * for `overlapSec` (default `auth.apiKeys.rotationOverlapSec`) or until its own expiry if sooner.
   */
  async rotate(
    id: string,
    overlapSec = this.config.rotationOverlapSec,
    context: { request?: unknown } = {},
  ): Promise<CreatedApiKey> {
    const old = await this.store.findById(id);
    if (!old || old.revokedAt !== undefined) throw new ApiKeyVerificationError(old ? 'revoked' : 'unknown_key');
    const now = Date.now();
    const created = await this.createRecord(
      {
        ownerId: old.ownerId,
        name: old.name,
        scopes: old.scopes,
        roles: old.roles,
        tier: old.tier,
        prefix: old.prefix,
        ...(old.expiresAt ? { expiresInSec: Math.max(1, Math.ceil((old.expiresAt - now) / 1000)) } : {}),
      },
      context,
      // The new key answers to the same owner and session: rotating never escapes revocation.
      { ...(old.minted ? { minted: true } : {}), ...(old.sessionId ? { sessionId: old.sessionId } : {}) },
    );
    const newRecord = await this.store.findById(created.info.id);
    if (newRecord) await this.store.save({ ...newRecord, rotatedFrom: id });
    const overlapEnd = now + overlapSec * 1000;
    // Applied to the record as it is now: a revocation made meanwhile stays.
    await this.update(id, (r) => ({ ...r, expiresAt: Math.min(r.expiresAt ?? Infinity, overlapEnd) }));
    this.events.emit({
      type: SecurityEventType.API_KEY_ROTATED,
      outcome: 'success',
      request: context.request,
      principalId: old.ownerId,
      details: { keyId: id, newKeyId: created.info.id, overlapSec },
    });
    return { key: created.key, info: { ...created.info, rotatedFrom: id } };
  }

  private hash(key: string): string {
    return this.mac(key).toString('base64url');
  }

  /** HMAC-SHA256(pepper, key). */
  private mac(key: string): Buffer {
    const pepper = this.config.pepper;
    if (!pepper) {
      throw SecurityConfigError.create(
        'auth.apiKeys.pepper',
        'is not set, so API keys are off',
        'Set 32+ random bytes',
      );
    }
    return createHmac('sha256', pepper).update(key).digest();
  }

  /** Records the last use at most once per interval per key, off the request path. */
  private touch(id: string, now: number): void {
    const last = this.lastTouched.get(id) ?? 0;
    if (now - last < this.config.lastUsedIntervalSec * 1000) return;
    if (this.lastTouched.size > 10_000) this.lastTouched.clear();
    this.lastTouched.set(id, now);
    this.store.touch(id, now).catch(() => {
      // Last-used is informational: a failed write must not fail the request. Retry next interval.
      this.lastTouched.delete(id);
    });
  }
}
