import type { ResolvedJwtOptions } from '../auth.options';
import type { AuthFeatureOptions } from '../auth.options';
import { isUtf8 } from 'node:buffer';
import { createHmac, timingSafeEqual, type KeyObject, type webcrypto } from 'node:crypto';
import {
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  UnsecuredJWT,
  type JWTVerifyOptions,
} from 'jose';
import { isJwtAlgorithm, toJoseKey, type JwtAlgorithm, type ResolvedJwtKey } from './jwt-crypto.util';
import { JwtVerificationError, type JwtFailureReason } from './jwt-error';
import type { RemoteJwksSet } from './remote-jwks';

/** The claims of a verified JWT. @publicApi */
export interface JwtClaims {
  sub: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  iss?: string;
  aud?: string | string[];
  [claim: string]: unknown;
}

/** What the verifier expects: an access token, or one of our refresh tokens. @publicApi */
export type TokenKind = 'access' | 'refresh';

/** `typ` of refresh tokens SecurityModule issues; never accepted as an access token. @internal */
export const REFRESH_TYPE = 'rt+jwt';
/** `typ` of access tokens SecurityModule issues (RFC 9068). @internal */
export const ACCESS_TYPE = 'at+jwt';

interface Decoded {
  header: Record<string, unknown>;
  claims: JwtClaims;
}

const MAX_TOKEN_LENGTH = 16_384;
const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const KID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
/**
 * Header members that carry or point at key material: never trusted (RFC 8725 §2, OWASP). The
 * `x5t` / `x5t#S256` thumbprints are not keys (only hints for picking one; Microsoft Entra ID
 * puts `x5t` in every token) and are simply ignored: the key comes from `kid` and our key set.
 */
const EMBEDDED_KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'];
/** Node's digest of each HMAC algorithm (see {@link JwtVerifier} on why HMAC is compared here). */
const HMAC_DIGEST: Partial<Record<JwtAlgorithm, string>> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
/** `{"alg":"none"}`, the header under which jose's claim checks read an HMAC-verified payload. */
const CLAIMS_ONLY_HEADER = Buffer.from('{"alg":"none"}').toString('base64url');

/**
 * Whether a JSON object text repeats a top-level member name. JSON.parse keeps the last one while
 * other parsers keep the first, so a token with `"sub"` twice could mean two different things to
 * two services (RFC 8725 §3.7: reject it). A linear scan, run only when a token is not cached.
 */
export function hasDuplicateMembers(json: string): boolean {
  const names = new Set<string>();
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (depth === 1) {
        let next = end + 1;
        while (json[next] === ' ' || json[next] === '\n' || json[next] === '\r' || json[next] === '\t') next++;
        if (json[next] === ':') {
          // Only an escaped name needs JSON's unescaping to compare it (`"s\u0075b"` is `sub`).
          const raw = json.slice(i + 1, end);
          const name = raw.indexOf('\\') === -1 ? raw : (JSON.parse(`"${raw}"`) as string);
          if (names.has(name)) return true;
          names.add(name);
        }
      }
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return false;
}

/** Refuses a segment whose JSON repeats a member (jose, like JSON.parse, keeps the last one). */
function assertNoDuplicates(segment: string): void {
  let duplicated: boolean;
  try {
    duplicated = hasDuplicateMembers(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    // A member name that is not a JSON string: not JSON at all.
    throw new JwtVerificationError('malformed');
  }
  if (duplicated) throw new JwtVerificationError('malformed', 'duplicate member');
}

/** What a jose error means, in the library's reasons (clients only ever see the generic message). */
function reasonOf(error: unknown, header: Record<string, unknown>): JwtVerificationError {
  if (error instanceof JwtVerificationError) return error;
  if (error instanceof joseErrors.JWTExpired)
    return new JwtVerificationError(error.claim === 'iat' ? 'too_old' : 'expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return new JwtVerificationError('missing_claim', error.claim);
    if (error.reason === 'invalid') return new JwtVerificationError('malformed', error.claim);
    const byClaim: Record<string, JwtFailureReason> = {
      nbf: 'not_yet_valid',
      iat: 'issued_in_future',
      iss: 'issuer_mismatch',
      aud: 'audience_mismatch',
    };
    return new JwtVerificationError(byClaim[error.claim] ?? 'malformed', error.claim);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new JwtVerificationError('bad_signature');
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new JwtVerificationError('alg_not_allowed');
  if (error instanceof joseErrors.JOSENotSupported) {
    return new JwtVerificationError(header.crit !== undefined ? 'unknown_crit' : 'alg_not_allowed');
  }
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
    return new JwtVerificationError('malformed');
  }
  // A key jose will not use for this token (type, size): refused like a bad signature.
  return new JwtVerificationError('bad_signature', error instanceof Error ? error.name : undefined);
}

/** A `typ` (or `tokenType`) compared the way RFC 8725 §3.11 says: case-insensitive, `application/` optional. @internal */
export function normalizeTyp(typ: unknown): string | undefined {
  if (typeof typ !== 'string') return undefined;
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice(12) : lower;
}

/**
 * Verifies compact JWS tokens with keys imported at boot. Decoding, the signature and the
 * registered claims (`exp`, `nbf`, `iat` and max age, `iss`, `aud`) are checked by `jose`; this
 * class adds the rules jose leaves to its caller. The algorithm comes from the key, never from the
 * token: a header `alg` that differs from the selected key's is refused. Refuses `none`, `crit`,
 * embedded or remote key references, repeated JSON members, malformed or oversized tokens, tokens
 * without `exp` (unless dangerously allowed), and a refresh token used as an access token.
 * Revocation is not checked here (see `JwtAuthenticator`). To verify tokens outside HTTP (e.g. a
 * WebSocket handshake) with the module's keys, inject `JwtAuthenticator`: its `verify()` runs this
 * verifier, and `authenticate()` adds the revocation check.
 *
 * HS256/384/512 are the one exception to "jose checks the signature": jose verifies through
 * WebCrypto, where an HMAC is an asynchronous job handed to libuv's thread pool (45–70 µs of CPU
 * per token against 6 µs for the same work in `node:crypto`). For an HMAC key the signature is
 * Node's `createHmac` over `<header>.<payload>` compared in constant time (`timingSafeEqual`, on
 * the canonical base64url text), after the same header checks; the claims of the verified payload
 * are then still checked by jose (`UnsecuredJWT.decode` with the same options, which runs the same
 * claim validation as `jwtVerify`). Nothing else of JOSE is ours.
 *
 * @example
 * ```ts
 * const claims = await jwtAuthenticator.verify(token, 'access'); // signature and claims
 * const principal = await jwtAuthenticator.authenticate(token); // plus revocation
 * ```
 * @publicApi
 */
export class JwtVerifier {
  private readonly byKid = new Map<string, ResolvedJwtKey>();
  private readonly unnamed: ResolvedJwtKey[] = [];
  private readonly options: ResolvedJwtOptions;
  /** The jose form of each key, prepared once per key object (this instance's own state). */
  private readonly joseKeys = new WeakMap<ResolvedJwtKey, Promise<webcrypto.CryptoKey | KeyObject>>();

  /**
   * @param options `auth.jwt` of the resolved options, or the whole {@link AuthFeatureOptions}
   * @param remote the remote JWKS set, when `auth.jwt.jwksUri` is configured
   */
  constructor(
    options: ResolvedJwtOptions | AuthFeatureOptions,
    private readonly remote?: RemoteJwksSet,
  ) {
    this.options = 'auth' in options ? options.auth.jwt : options;
    for (const key of this.options.keys) {
      if (key.kid) this.byKid.set(key.kid, key);
      else this.unnamed.push(key);
    }
  }

  /** Whether any key (static or remote) is configured. */
  get configured(): boolean {
    return this.options.keys.length > 0 || this.remote !== undefined;
  }

  /** Verifies signature and claims; resolves the claims or rejects with {@link JwtVerificationError}. */
  async verify(token: string, kind: TokenKind = 'access', nowSec = Math.floor(Date.now() / 1000)): Promise<JwtClaims> {
    return this.verifyNow(token, kind, nowSec);
  }

  /**
   * {@link verify} for the authentication hot path: synchronous (no promise) with a local HMAC
   * key, a promise otherwise. Throws, or rejects with, the same errors.
   *
   * @internal
   */
  verifyNow(token: string, kind: TokenKind, nowSec: number): JwtClaims | Promise<JwtClaims> {
    const header = this.decodeHeader(token);
    const alg = this.checkHeader(header, kind);
    const key = this.localKey(header.kid, alg);
    if (key) return this.verifyWith(token, header, alg, key, kind, nowSec);
    return this.remoteKey(header.kid).then((remote) => this.verifyWith(token, header, alg, remote, kind, nowSec));
  }

  private verifyWith(
    token: string,
    header: Record<string, unknown>,
    alg: JwtAlgorithm,
    key: ResolvedJwtKey,
    kind: TokenKind,
    nowSec: number,
  ): JwtClaims | Promise<JwtClaims> {
    if (key.alg !== alg) throw new JwtVerificationError('alg_not_allowed', `${alg} presented for a ${key.alg} key`);
    const digest = HMAC_DIGEST[key.alg];
    if (digest !== undefined)
      return this.checkClaims(this.verifyHmac(token, header, key, digest, kind, nowSec), kind, nowSec);
    return this.joseKey(key)
      .then((joseKey) => jwtVerify(token, joseKey, this.joseOptions(key.alg, kind, nowSec)))
      .then(
        (verified) => this.checkClaims(verified.payload as JwtClaims, kind, nowSec),
        (error: unknown) => {
          throw reasonOf(error, header);
        },
      );
  }

  /**
   * An HMAC signature (see the class notes): `createHmac` and a constant-time compare of the
   * canonical base64url text (a non-canonical encoding of the right bytes is refused), then jose's
   * claim checks on the payload. The header was checked already (no `crit`, no `b64`, the key's
   * algorithm), so jose's header rules have nothing left to refuse.
   */
  private verifyHmac(
    token: string,
    header: Record<string, unknown>,
    key: ResolvedJwtKey,
    digest: string,
    kind: TokenKind,
    nowSec: number,
  ): JwtClaims {
    const first = token.indexOf('.');
    const last = token.lastIndexOf('.');
    const expected = Buffer.from(createHmac(digest, key.verifyKey).update(token.slice(0, last)).digest('base64url'));
    const presented = Buffer.from(token.slice(last + 1));
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) {
      throw new JwtVerificationError('bad_signature');
    }
    try {
      const claimsOnly = `${CLAIMS_ONLY_HEADER}.${token.slice(first + 1, last)}.`;
      return UnsecuredJWT.decode(claimsOnly, this.joseOptions(key.alg, kind, nowSec)).payload as JwtClaims;
    } catch (error) {
      throw reasonOf(error, header);
    }
  }

  /** Decodes a token (jose) without verifying it; refuses oversized, malformed or duplicate-member ones. */
  decode(token: string): Decoded {
    if (token.length > MAX_TOKEN_LENGTH || !SHAPE.test(token)) throw new JwtVerificationError('malformed');
    let decoded: Decoded;
    try {
      decoded = { header: decodeProtectedHeader(token), claims: decodeJwt(token) as JwtClaims };
    } catch {
      throw new JwtVerificationError('malformed');
    }
    const [header, payload] = token.split('.', 2);
    assertNoDuplicates(header);
    assertNoDuplicates(payload);
    return decoded;
  }

  /**
   * What `verify` needs before the signature: the header, decoded once, and both segments checked
   * for repeated members. Unlike {@link decode} the payload is not parsed here: `jwtVerify` parses
   * it (and refuses one that is not a JSON object), so a token not in the cache is decoded once.
   */
  private decodeHeader(token: string): Record<string, unknown> {
    if (token.length > MAX_TOKEN_LENGTH || !SHAPE.test(token)) throw new JwtVerificationError('malformed');
    const [segment, payload] = token.split('.', 2);
    // As strict as jose's own header parsing (which an HMAC token no longer reaches): a segment
    // with a stray character (length 1 mod 4) or bytes that are not UTF-8 is malformed, not mended.
    const bytes = Buffer.from(segment, 'base64url');
    if (segment.length % 4 === 1 || !isUtf8(bytes)) throw new JwtVerificationError('malformed');
    const json = bytes.toString('utf8');
    let header: unknown;
    try {
      header = JSON.parse(json);
    } catch {
      throw new JwtVerificationError('malformed');
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      throw new JwtVerificationError('malformed');
    }
    if (hasDuplicateMembers(json)) throw new JwtVerificationError('malformed', 'duplicate member');
    assertNoDuplicates(payload);
    return header as Record<string, unknown>;
  }

  private joseKey(key: ResolvedJwtKey): Promise<webcrypto.CryptoKey | KeyObject> {
    let prepared = this.joseKeys.get(key);
    if (!prepared) {
      prepared = toJoseKey(key.alg, key.verifyKey, 'verify');
      this.joseKeys.set(key, prepared);
    }
    return prepared;
  }

  /** The rules jose enforces: the key's one algorithm, required claims, clock, issuer, audience, age. */
  private joseOptions(alg: JwtAlgorithm, kind: TokenKind, nowSec: number): JWTVerifyOptions {
    const o = this.options;
    const required = o.requireExp || kind === 'refresh' ? ['sub', 'exp'] : ['sub'];
    return {
      algorithms: [alg],
      requiredClaims: required,
      clockTolerance: o.clockToleranceSec,
      currentDate: new Date(nowSec * 1000),
      ...(o.issuer ? { issuer: o.issuer } : {}),
      ...(o.audience ? { audience: o.audience } : {}),
      ...(o.maxAgeSec !== undefined ? { maxTokenAge: o.maxAgeSec } : {}),
    };
  }

  private checkHeader(header: Record<string, unknown>, kind: TokenKind): JwtAlgorithm {
    const alg = header.alg;
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') throw new JwtVerificationError('alg_none');
    if (!isJwtAlgorithm(alg)) throw new JwtVerificationError('alg_not_allowed', String(alg));
    if (header.crit !== undefined) throw new JwtVerificationError('unknown_crit');
    if (header.b64 !== undefined) throw new JwtVerificationError('unknown_crit', 'b64');
    for (const name of EMBEDDED_KEY_HEADERS) {
      if (header[name] !== undefined) throw new JwtVerificationError('embedded_key', name);
    }
    if (header.kid !== undefined && (typeof header.kid !== 'string' || !KID.test(header.kid))) {
      throw new JwtVerificationError('invalid_kid');
    }
    const typ = normalizeTyp(header.typ);
    if (kind === 'refresh') {
      if (typ !== REFRESH_TYPE) throw new JwtVerificationError('wrong_type', `expected ${REFRESH_TYPE}`);
    } else if (typ === REFRESH_TYPE || (this.options.tokenType !== undefined && typ !== this.options.tokenType)) {
      throw new JwtVerificationError('wrong_type', String(typ));
    }
    return alg;
  }

  private localKey(kid: unknown, alg: JwtAlgorithm): ResolvedJwtKey | undefined {
    if (typeof kid === 'string') return this.byKid.get(kid);
    // No kid: only keys pinned to the presented algorithm are candidates.
    return this.unnamed.find((k) => k.alg === alg) ?? (this.remote ? undefined : this.onlyKey());
  }

  private onlyKey(): ResolvedJwtKey | undefined {
    const all = this.options.keys;
    if (all.length === 1) return all[0];
    return undefined;
  }

  private async remoteKey(kid: unknown): Promise<ResolvedJwtKey> {
    if (!this.remote) {
      throw new JwtVerificationError(this.configured ? 'unknown_kid' : 'jwks_unavailable', 'no key');
    }
    const id = typeof kid === 'string' ? kid : undefined;
    return this.remote.peek(id) ?? this.remote.get(id);
  }

  /** What jose leaves to us: `token_use`, a non-empty `sub`, `iat` not in the future, a sane `jti`. */
  private checkClaims(claims: JwtClaims, kind: TokenKind, now: number): JwtClaims {
    if (kind === 'access' && claims.token_use === 'refresh') throw new JwtVerificationError('wrong_type', 'token_use');
    if (kind === 'refresh' && claims.token_use !== 'refresh') throw new JwtVerificationError('wrong_type', 'token_use');
    if (typeof claims.sub !== 'string' || claims.sub.length === 0)
      throw new JwtVerificationError('missing_claim', 'sub');
    // Finite numbers only: jose takes any number for exp and nbf, and `1e400` is Infinity (a token
    // that would never expire, or always be valid).
    for (const name of ['iat', 'exp', 'nbf'] as const) {
      const value = claims[name];
      if (value !== undefined && !Number.isFinite(value)) throw new JwtVerificationError('malformed', name);
    }
    const iat = claims.iat;
    if (iat !== undefined && iat - this.options.clockToleranceSec > now) {
      throw new JwtVerificationError('issued_in_future');
    }
    if (claims.jti !== undefined && (typeof claims.jti !== 'string' || claims.jti.length > 256)) {
      throw new JwtVerificationError('malformed', 'jti');
    }
    return claims;
  }

  /** When a verified token stops being valid (ms), for the verified-token cache. */
  validUntilMs(claims: JwtClaims): number {
    const tolerance = this.options.clockToleranceSec;
    let until = claims.exp === undefined ? Infinity : (claims.exp + tolerance) * 1000;
    if (this.options.maxAgeSec !== undefined && claims.iat !== undefined) {
      until = Math.min(until, (claims.iat + this.options.maxAgeSec + tolerance) * 1000);
    }
    return until;
  }
}
