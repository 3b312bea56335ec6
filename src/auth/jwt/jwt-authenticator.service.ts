import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Principal } from '../../core/context/principal.interface';
import type { ResolvedJwtOptions } from '../auth.options';
import type { AuthFeatureOptions } from '../auth.options';
import { SECURITY_OPTIONS } from '../../core/security.constants';
import { TokenRevocationService } from '../tokens/token-revocation.service';
import { JwtVerificationError } from './jwt-error';
import { JwtVerifier, normalizeTyp, REFRESH_TYPE, type JwtClaims, type TokenKind } from './jwt-verifier';
import { RemoteJwksSet } from './remote-jwks';
import { VerifiedTokenCache } from './verified-token.cache';

interface CachedToken {
  claims: JwtClaims;
  principal: Principal;
  /** Revocation keys of this token, built once. */
  revocationKeys: string[];
}

function readPath(claims: JwtClaims, path: readonly string[]): unknown {
  let value: unknown = claims;
  for (const part of path) {
    if (!value || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Verifies bearer tokens and turns them into a {@link Principal}. Keys were imported at boot; a
 * bounded cache keeps verified tokens (never past their expiry) so a hot token costs one map
 * lookup plus the revocation check, which runs on every request.
 *
 * @publicApi
 */
@Injectable()
export class JwtAuthenticator implements OnModuleInit {
  private readonly jwt: ResolvedJwtOptions;
  private readonly remote?: RemoteJwksSet;
  private readonly verifier: JwtVerifier;
  private readonly cache: VerifiedTokenCache<CachedToken>;

  constructor(
    @Inject(SECURITY_OPTIONS) options: AuthFeatureOptions,
    private readonly revocation: TokenRevocationService,
  ) {
    this.jwt = options.auth.jwt;
    this.remote = this.jwt.remoteJwks ? new RemoteJwksSet(this.jwt.remoteJwks) : undefined;
    this.verifier = new JwtVerifier(this.jwt, this.remote);
    this.cache = new VerifiedTokenCache(this.jwt.cacheSize);
  }

  /** Prefetches a remote JWKS so the first request does not wait for it (failures are retried lazily). */
  async onModuleInit(): Promise<void> {
    if (this.remote) await this.remote.refresh();
  }

  /** Whether any verification key is configured. */
  get configured(): boolean {
    return this.verifier.configured;
  }

  /**
   * Verifies an access token and checks revocation.
   * @throws {JwtVerificationError} with the precise reason
   * @throws {StorageUnavailableError} when the revocation store does not answer
   */
  async authenticate(token: string): Promise<Principal> {
    return this.principalFor(token);
  }

  /**
   * {@link authenticate} for the guard's hot path: synchronous (no promise) when the token is in
   * the verified-token cache or signed with a local HMAC key, and revocations live in the memory
   * store; a promise otherwise.
   * Throws, or rejects with, the same errors.
   *
   * @internal
   */
  principalFor(token: string): Principal | Promise<Principal> {
    const nowMs = Date.now();
    const cached = this.cache.get(token, nowMs);
    if (cached) return this.unlessRevoked(token, cached);
    const claims = this.verifier.verifyNow(token, 'access', Math.floor(nowMs / 1000));
    return claims instanceof Promise ? claims.then((c) => this.admit(token, c)) : this.admit(token, claims);
  }

  /** Offers a token verified just now to the cache (stored from its second verification), then checks its revocation. */
  private admit(token: string, claims: JwtClaims): Principal | Promise<Principal> {
    const entry = { claims, principal: this.toPrincipal(claims), revocationKeys: this.revocation.keysFor(claims) };
    this.cache.offer(token, entry, this.verifier.validUntilMs(claims));
    return this.unlessRevoked(token, entry);
  }

  private unlessRevoked(token: string, entry: CachedToken): Principal | Promise<Principal> {
    const revoked = this.revocation.isRevoked(entry.claims, entry.revocationKeys);
    return typeof revoked === 'boolean'
      ? this.principalUnless(revoked, token, entry)
      : revoked.then((r) => this.principalUnless(r, token, entry));
  }

  private principalUnless(revoked: boolean, token: string, entry: CachedToken): Principal {
    if (revoked) {
      this.cache.delete(token);
      throw new JwtVerificationError('revoked');
    }
    return entry.principal;
  }

  /** Verifies signature and claims of an access or refresh token, without the revocation check. */
  verify(token: string, kind: TokenKind): Promise<JwtClaims> {
    return this.verifier.verify(token, kind, Math.floor(Date.now() / 1000));
  }

  /** The `typ`-based kind of a token, without verifying it (`undefined` when malformed). */
  kindOf(token: string): TokenKind | undefined {
    try {
      const { header, claims } = this.verifier.decode(token);
      return normalizeTyp(header.typ) === REFRESH_TYPE || claims.token_use === 'refresh' ? 'refresh' : 'access';
    } catch {
      return undefined;
    }
  }

  /** Builds the principal from verified claims (roles/tier from the configured claims). */
  protected toPrincipal(claims: JwtClaims): Principal {
    const tier = readPath(claims, this.jwt.tierClaim);
    const principal: Principal = {
      type: 'user',
      id: claims.sub,
      roles: Object.freeze(stringList(readPath(claims, this.jwt.rolesClaim))),
      scopes: Object.freeze(stringList(claims.scope ?? claims.scp)),
      claims: Object.freeze({ ...claims }),
      ...(typeof tier === 'string' ? { tier } : {}),
      ...(typeof claims.jti === 'string' ? { credentialId: claims.jti } : {}),
    };
    return Object.freeze(principal);
  }
}
