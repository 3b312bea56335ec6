import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../../core/context/principal.interface';
import { SecurityErrorCode } from '../../core/errors/error-codes';
import { Messages } from '../../core/errors/messages.constant';
import { SecurityConfigError } from '../../core/errors/security-config.error';
import { securityException } from '../../core/errors/security-exception';
import { SecurityEventType } from '../../core/events/security-event.interface';
import { SecurityEvents } from '../../core/events/security-events.service';
import type { ResolvedJwtOptions } from '../auth.options';
import type { AuthFeatureOptions } from '../auth.options';
import { SECURITY_OPTIONS } from '../../core/security.constants';
import { SecurityStorage } from '../../storage/security-storage.interface';
import { StorageUnavailableError } from '../../storage/storage-unavailable.error';
import { SignJWT } from 'jose';
import { toJoseKey, type ResolvedJwtKey } from '../jwt/jwt-crypto.util';
import { JwtAuthenticator } from '../jwt/jwt-authenticator.service';
import { JwtVerificationError } from '../jwt/jwt-error';
import { ACCESS_TYPE, REFRESH_TYPE, type JwtClaims, type TokenKind } from '../jwt/jwt-verifier';
import { revocationKeys, TokenRevocationService } from './token-revocation.service';

/** Who a token pair is issued for. @publicApi */
export interface TokenSubject {
  /** Becomes `sub` and `Principal.id`. */
  id: string;
  /** Written to the configured roles claim. */
  roles?: readonly string[];
  /** Written to `scope` (space-separated). */
  scopes?: readonly string[];
  /** Written to the configured tier claim. */
  tier?: string;
  /** Extra claims (e.g. `department`). Registered claim names are refused. */
  claims?: Record<string, unknown>;
}

/** An access + refresh token pair. @publicApi */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Access token lifetime, seconds. */
  expiresIn: number;
  /** Refresh token lifetime, seconds. */
  refreshExpiresIn: number;
}

/** How a session was authenticated: RFC 8176 `amr` values such as `pwd`, `otp`, `mfa`. @publicApi */
export interface SessionOptions {
  /** Authentication methods of the login, written to the access tokens' `amr` claim. */
  amr?: readonly string[];
}

/** Where a call came from, to attach request id / ip to security events. @publicApi */
export interface TokenCallContext {
  request?: unknown;
}

/** A refresh family (one login session), stored under the subject's hash tag. */
interface FamilyRecord {
  /** jti of the refresh token that may be used now. */
  current: string;
  /** jti of the one before it (grace-window retries). */
  previous?: string;
  /** When `current` replaced `previous` (ms). */
  rotatedAt?: number;
  /** Whether the grace retry was used for `previous`. */
  graceUsed?: boolean;
  /** Absolute end of the family (s); rotation never moves it. */
  absExp: number;
  /** When the user logged in (s): the access tokens' `auth_time`, kept across rotations. */
  authTime?: number;
  /** How the session was authenticated (RFC 8176), the access tokens' `amr`; a step-up adds to it. */
  amr?: string[];
  subject: TokenSubject;
}

const RESERVED = new Set([
  'sub',
  'iss',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'sid',
  'scope',
  'token_use',
  'auth_time',
  'amr',
]);
const MAX_ROTATION_ATTEMPTS = 4;

const AMR_VALUE = /^[a-z][a-z0-9_-]{0,31}$/;

/** RFC 8176 style method names (`pwd`, `otp`, `hwk`...), at most 8. */
function checkAmr(values: readonly string[]): string[] {
  if (!Array.isArray(values) || values.length > 8 || !values.every((v) => typeof v === 'string' && AMR_VALUE.test(v))) {
    throw new TypeError('TokenService: amr values must be up to 8 lowercase method names such as "pwd" or "otp"');
  }
  return [...new Set(values)];
}

function newId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Issues access + refresh token pairs and rotates refresh tokens with reuse detection.
 *
 * Each login starts a refresh *family* (`sid`). Refreshing with the family's current token
 * returns a new pair and retires it (atomic compare-and-set, so two concurrent refreshes with one
 * token have exactly one winner). Within `refreshGraceSec` the immediately previous token may be
 * retried once (concurrent tabs): the retry gets a pair carrying the family's current refresh token,
 * so the winner's token stays valid. Any other retired token revokes the whole family, access tokens
 * included (`REFRESH_REUSE_DETECTED`). Rotation never extends the family's absolute lifetime.
 *
 * @publicApi
 */
@Injectable()
export class TokenService {
  private readonly jwt: ResolvedJwtOptions;
  /** The signing key in jose's form, prepared on first use. */
  private joseSigningKey?: ReturnType<typeof toJoseKey>;

  constructor(
    @Inject(SECURITY_OPTIONS) options: AuthFeatureOptions,
    @Inject(SecurityStorage) private readonly storage: SecurityStorage,
    private readonly authenticator: JwtAuthenticator,
    private readonly revocation: TokenRevocationService,
    private readonly events: SecurityEvents,
  ) {
    this.jwt = options.auth.jwt;
  }

  /**
   * Starts a session (a login): a new refresh family and its first token pair. Access tokens carry
   * `auth_time`, the time of this login, unchanged by refreshes (for recent-login checks such as
   * `ApiKeyService.createFor()`), and `amr` when `session.amr` names how the user logged in
   * (e.g. `['pwd']`).
   */
  async issue(subject: TokenSubject, context: TokenCallContext = {}, session: SessionOptions = {}): Promise<TokenPair> {
    this.checkSubject(subject);
    // Before anything is stored or announced: without a key that can sign, no session may start.
    this.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const sid = newId();
    const jti = newId();
    const amr = session.amr ? checkAmr(session.amr) : undefined;
    const family: FamilyRecord = {
      current: jti,
      absExp: now + this.jwt.refreshFamilyTtlSec,
      authTime: now,
      ...(amr ? { amr } : {}),
      subject,
    };
    await this.guardStorage(() =>
      this.storage.set(
        revocationKeys.family(subject.id, sid),
        JSON.stringify(family),
        this.jwt.refreshFamilyTtlSec * 1000,
      ),
    );
    this.events.emit({
      type: SecurityEventType.TOKEN_ISSUED,
      outcome: 'success',
      request: context.request,
      principalId: subject.id,
      details: { sid },
    });
    return this.pair(subject, sid, jti, family, now);
  }

  /**
   * Exchanges a refresh token for a new pair. The new access token carries the subject given to
   * {@link issue} (roles, scopes, claims are frozen per session): after a role change, call
   * {@link revokeSubject} so the user logs in again.
   * @throws {UnauthorizedException} INVALID_TOKEN for an invalid, expired, revoked or reused token
   * @throws {ServiceUnavailableException} STORAGE_UNAVAILABLE when the store does not answer
   */
  async refresh(refreshToken: string, context: TokenCallContext = {}): Promise<TokenPair> {
    const claims = await this.verifyRefresh(refreshToken, context);
    const sid = claims.sid as string;
    const key = revocationKeys.family(claims.sub, sid);
    for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
      const stored = await this.guardStorage(() => this.storage.get(key));
      if (stored === null) throw this.refused('family_unknown', context, claims.sub);
      const family = JSON.parse(stored) as FamilyRecord;
      const nowMs = Date.now();
      const next = this.nextState(family, claims.jti as string, nowMs);
      if (!next) return this.reuseDetected(claims, context);
      const ttlMs = family.absExp * 1000 - nowMs;
      if (ttlMs <= 0) throw this.refused('family_expired', context, claims.sub);
      if (await this.guardStorage(() => this.storage.compareAndSet(key, stored, JSON.stringify(next), ttlMs))) {
        this.events.emit({
          type: SecurityEventType.TOKEN_REFRESHED,
          outcome: 'success',
          request: context.request,
          principalId: claims.sub,
          details: { sid, grace: next.graceUsed === true && family.current !== claims.jti },
        });
        return this.pair(family.subject, sid, next.current, family, Math.floor(nowMs / 1000));
      }
      // Lost a race: re-read and decide again on the state the winner left.
    }
    throw this.refused('rotation_contention', context, claims.sub);
  }

  /**
   * Records a second factor the user just passed (a TOTP code checked by `TotpService.verify()`,
   * a WebAuthn assertion...) in their session and returns a new token pair: its access tokens
   * carry `amr` with the session's methods plus `factors` and `mfa`, and `auth_time` = now, and so
   * do the ones later refreshes issue. `@RequireMfa()` routes accept them until `auth_time` is
   * older than their `maxAgeSec`; a step-up is also a recent login for `ApiKeyService.createFor()`.
   *
   * The session's refresh token is rotated: the one held before the step-up no longer works, and
   * presenting it ends the session (reuse detection), so tokens stolen before the step-up never
   * inherit it. Call this only after the factor was verified.
   * @throws {ForbiddenException} FORBIDDEN when the principal has no session of this service (an API
   *   key, or a token from another issuer)
   * @throws {UnauthorizedException} INVALID_TOKEN when the session has ended
   * @throws {ServiceUnavailableException} STORAGE_UNAVAILABLE when the store does not answer
   */
  async stepUp(
    principal: Principal,
    factors: readonly string[] = ['otp'],
    context: TokenCallContext = {},
  ): Promise<TokenPair> {
    const sid = principal.claims.sid;
    if (principal.type !== 'user' || typeof sid !== 'string') {
      throw securityException(403, SecurityErrorCode.FORBIDDEN, 'Step-up needs a login session issued by this service');
    }
    const added = checkAmr(factors);
    const key = revocationKeys.family(principal.id, sid);
    for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
      const stored = await this.guardStorage(() => this.storage.get(key));
      if (stored === null) throw this.refused('step_up_family_unknown', context, principal.id);
      const family = JSON.parse(stored) as FamilyRecord;
      const nowMs = Date.now();
      const now = Math.floor(nowMs / 1000);
      const ttlMs = family.absExp * 1000 - nowMs;
      if (ttlMs <= 0) throw this.refused('step_up_family_expired', context, principal.id);
      const next: FamilyRecord = {
        ...family,
        // No grace retry for the refresh token held before the step-up: it must not get a stepped-up pair.
        previous: family.current,
        current: newId(),
        rotatedAt: nowMs,
        graceUsed: true,
        authTime: now,
        amr: [...new Set([...(family.amr ?? []), ...added, 'mfa'])],
      };
      if (await this.guardStorage(() => this.storage.compareAndSet(key, stored, JSON.stringify(next), ttlMs))) {
        this.events.emit({
          type: SecurityEventType.TOKEN_ISSUED,
          outcome: 'success',
          request: context.request,
          principalId: principal.id,
          details: { sid, stepUp: true, amr: next.amr },
        });
        return this.pair(family.subject, sid, next.current, next, now);
      }
    }
    throw this.refused('step_up_contention', context, principal.id);
  }

  /**
   * Revokes a token (access or refresh) until it would expire. A refresh token also revokes its
   * family. Invalid or already expired tokens are ignored (there is nothing left to revoke).
   */
  async revoke(token: string, context: TokenCallContext = {}): Promise<void> {
    const verified = await this.verifyAny(token);
    if (verified) await this.revokeVerified(verified, verified.kind === 'refresh', context);
  }

  /** Ends a session: revokes the given tokens and the session (refresh family and its access tokens). */
  async logout(tokens: { accessToken?: string; refreshToken?: string }, context: TokenCallContext = {}): Promise<void> {
    for (const token of [tokens.accessToken, tokens.refreshToken]) {
      const verified = token ? await this.verifyAny(token) : undefined;
      if (verified) await this.revokeVerified(verified, true, context);
    }
  }

  /**
   * Ends the session of an authenticated principal (from `@CurrentPrincipal()`): revokes its access
   * token (`jti`) and its session (`sid`: the refresh family and the access tokens issued in it).
   */
  async logoutPrincipal(principal: Principal, context: TokenCallContext = {}): Promise<void> {
    if (principal.type !== 'user') return;
    const { jti, sid, exp } = principal.claims as JwtClaims;
    await this.guardStorage(async () => {
      if (typeof jti === 'string') await this.revocation.revokeJti(principal.id, jti, exp);
      if (typeof sid === 'string') await this.revocation.revokeSession(principal.id, sid);
    });
    this.emitRevoked(principal.id, context, { kind: 'access', jti, ...(typeof sid === 'string' ? { sid } : {}) });
  }

  /** Revokes every token of a subject issued up to now ("log out everywhere"). */
  async revokeSubject(subjectId: string, context: TokenCallContext = {}): Promise<void> {
    await this.guardStorage(() => this.revocation.revokeSubject(subjectId));
    this.emitRevoked(subjectId, context, { scope: 'subject' });
  }

  /** Revokes one session (refresh family) and the access tokens issued in it. */
  async revokeSession(subjectId: string, sid: string, context: TokenCallContext = {}): Promise<void> {
    await this.guardStorage(() => this.revocation.revokeSession(subjectId, sid));
    this.emitRevoked(subjectId, context, { scope: 'session', sid });
  }

  /** Revokes one access token by id until `expSec`. */
  async revokeJti(subjectId: string, jti: string, expSec?: number, context: TokenCallContext = {}): Promise<void> {
    await this.guardStorage(() => this.revocation.revokeJti(subjectId, jti, expSec));
    this.emitRevoked(subjectId, context, { jti });
  }

  private async verifyAny(token: string): Promise<{ kind: TokenKind; claims: JwtClaims } | undefined> {
    const kind = this.authenticator.kindOf(token);
    if (!kind) return undefined;
    const claims = await this.authenticator.verify(token, kind).catch(() => undefined);
    return claims && { kind, claims };
  }

  private async revokeVerified(
    { kind, claims }: { kind: TokenKind; claims: JwtClaims },
    withSession: boolean,
    context: TokenCallContext,
  ): Promise<void> {
    const sid = withSession && typeof claims.sid === 'string' ? claims.sid : undefined;
    await this.guardStorage(async () => {
      if (typeof claims.jti === 'string') await this.revocation.revokeJti(claims.sub, claims.jti, claims.exp);
      if (sid) await this.revocation.revokeSession(claims.sub, sid);
    });
    this.emitRevoked(claims.sub, context, { kind, jti: claims.jti, ...(sid ? { sid } : {}) });
  }

  private nextState(family: FamilyRecord, jti: string, nowMs: number): FamilyRecord | undefined {
    if (family.current === jti)
      return { ...family, previous: jti, current: newId(), rotatedAt: nowMs, graceUsed: false };
    const grace = this.jwt.refreshGraceSec * 1000;
    const inGrace = grace > 0 && family.rotatedAt !== undefined && nowMs - family.rotatedAt <= grace;
    // A grace retry gets the family's CURRENT refresh token again (same jti), not a new one: the
    // caller that rotated first (the other tab) keeps a token that still works. Rotating here would
    // retire that token, and its next refresh would be taken for reuse and end the session.
    if (family.previous === jti && inGrace && !family.graceUsed) return { ...family, graceUsed: true };
    return undefined;
  }

  private async reuseDetected(claims: JwtClaims, context: TokenCallContext): Promise<never> {
    const sid = claims.sid as string;
    await this.guardStorage(() => this.revocation.revokeSession(claims.sub, sid));
    this.events.emit({
      type: SecurityEventType.REFRESH_REUSE_DETECTED,
      outcome: 'blocked',
      reason: 'refresh_token_reused',
      request: context.request,
      principalId: claims.sub,
      details: { sid, jti: claims.jti },
    });
    throw securityException(401, SecurityErrorCode.INVALID_TOKEN, Messages.INVALID_TOKEN());
  }

  private async verifyRefresh(token: string, context: TokenCallContext): Promise<JwtClaims> {
    let claims: JwtClaims;
    try {
      claims = await this.authenticator.verify(token, 'refresh');
    } catch (error) {
      const reason = error instanceof JwtVerificationError ? error.reason : 'invalid';
      throw this.refused(reason, context);
    }
    if (typeof claims.sid !== 'string' || typeof claims.jti !== 'string') throw this.refused('missing_claim', context);
    if (await this.guardStorage(() => this.revocation.isRevoked(claims))) {
      throw this.refused('revoked', context, claims.sub);
    }
    return claims;
  }

  private async pair(
    subject: TokenSubject,
    sid: string,
    refreshJti: string,
    family: Pick<FamilyRecord, 'absExp' | 'authTime' | 'amr'>,
    now: number,
  ): Promise<TokenPair> {
    const key = this.signingKey();
    const absExp = family.absExp;
    // Families stored before auth_time existed: their login was absExp - family TTL.
    const authTime = family.authTime ?? absExp - this.jwt.refreshFamilyTtlSec;
    const refreshExp = Math.min(now + this.jwt.refreshTokenTtlSec, absExp);
    const accessExp = Math.min(now + this.jwt.accessTokenTtlSec, refreshExp);
    const common = {
      sub: subject.id,
      ...(this.jwt.issuer ? { iss: this.jwt.issuer[0] } : {}),
      ...(this.jwt.audience ? { aud: this.jwt.audience[0] } : {}),
      // Fractional seconds (RFC 7519 NumericDate allows them): a subject revocation and a login in
      // the same second are told apart, so the new session is not born revoked.
      iat: Math.max(now, Date.now() / 1000),
      sid,
    };
    const access: Record<string, unknown> = {
      ...subject.claims,
      ...common,
      exp: accessExp,
      jti: newId(),
      auth_time: authTime,
      ...(family.amr ? { amr: family.amr } : {}),
    };
    if (subject.roles) this.setPath(access, this.jwt.rolesClaim, [...subject.roles]);
    if (subject.tier !== undefined) this.setPath(access, this.jwt.tierClaim, subject.tier);
    if (subject.scopes?.length) access.scope = subject.scopes.join(' ');
    const refresh = { ...common, exp: refreshExp, jti: refreshJti, token_use: 'refresh' };
    const [accessToken, refreshToken] = await Promise.all([
      this.sign(key, ACCESS_TYPE, access),
      this.sign(key, REFRESH_TYPE, refresh),
    ]);
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: accessExp - now,
      refreshExpiresIn: refreshExp - now,
    };
  }

  /** Signs through jose, with the key's pinned algorithm and the token kind's `typ`. */
  private async sign(key: ResolvedJwtKey, typ: string, payload: Record<string, unknown>): Promise<string> {
    this.joseSigningKey ??= toJoseKey(key.alg, key.signKey as NonNullable<ResolvedJwtKey['signKey']>, 'sign');
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, typ, ...(key.kid ? { kid: key.kid } : {}) })
      .sign(await this.joseSigningKey);
  }

  private setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
    let node = target;
    for (const part of path.slice(0, -1)) {
      const child = node[part];
      node = (node[part] = child && typeof child === 'object' ? { ...(child as object) } : {}) as Record<
        string,
        unknown
      >;
    }
    node[path[path.length - 1]] = value;
  }

  private signingKey(): ResolvedJwtKey {
    const key = this.jwt.signingKey;
    if (!key) {
      throw SecurityConfigError.create(
        'auth.jwt',
        'has no key that can sign (TokenService needs a secret or a privateKey)',
        'Set auth.jwt.secret, or a key with privateKey',
      );
    }
    return key;
  }

  private checkSubject(subject: TokenSubject): void {
    if (typeof subject?.id !== 'string' || subject.id.length === 0) {
      throw new TypeError('TokenService.issue: subject.id must be a non-empty string');
    }
    const reserved = Object.keys(subject.claims ?? {}).find((c) => RESERVED.has(c));
    if (reserved) throw new TypeError(`TokenService.issue: claim "${reserved}" is set by TokenService itself`);
  }

  private refused(reason: string, context: TokenCallContext, principalId?: string): Error {
    this.events.emit({
      type: SecurityEventType.AUTH_FAILED,
      outcome: 'failure',
      reason: `refresh_${reason}`,
      request: context.request,
      principalId,
    });
    return securityException(401, SecurityErrorCode.INVALID_TOKEN, Messages.INVALID_TOKEN());
  }

  private emitRevoked(sub: string, context: TokenCallContext, details: Record<string, unknown>): void {
    this.events.emit({
      type: SecurityEventType.TOKEN_REVOKED,
      outcome: 'success',
      request: context.request,
      principalId: sub,
      details,
    });
  }

  /** Storage failures become a 503 (fail closed), with an event. */
  private async guardStorage<T>(fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error;
      this.events.emit({ type: SecurityEventType.STORAGE_UNAVAILABLE, outcome: 'failure', reason: 'auth_tokens' });
      throw securityException(503, SecurityErrorCode.STORAGE_UNAVAILABLE, Messages.STORAGE_UNAVAILABLE());
    }
  }
}
