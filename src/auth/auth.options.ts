import type { JsonWebKey, KeyObject } from 'node:crypto';
import {
  algFromJwk,
  assertKeyFitsAlg,
  importPrivateKey,
  importPublicKey,
  importSecret,
  isHmac,
  isJwtAlgorithm,
  isKeyObject,
  JWT_ALGORITHMS,
  KeyImportError,
  MIN_SECRET_BYTES,
  type JwtAlgorithm,
  type ResolvedJwtKey,
} from './jwt/jwt-crypto.util';
import type { ApiKeyStore } from './api-key/api-key-store.interface';
import { normalizeTyp } from './jwt/jwt-verifier';
import { resolveMfaOptions, type MfaOptions, type ResolvedMfaOptions } from './mfa/mfa.options';
import {
  resolveSessionCookies,
  type ResolvedSessionCookieOptions,
  type SessionCookieOptions,
} from './session/session-cookies.options';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolveContext, FeatureOptions } from '../core/options/core.options';
import {
  describe,
  join,
  readBoolean,
  readEnum,
  readNumber,
  readString,
  readStrictSection,
  readStringArray,
  type Raw,
  optionKeys,
} from '../core/options/validate.util';

/** An authentication method a route may accept. @publicApi */
export type AuthMethod = 'jwt' | 'api-key';

/**
 * One JWT key. The algorithm is pinned here: a token whose header names another algorithm is
 * refused, so the header can never choose how it is verified.
 *
 * @publicApi
 */
export interface JwtKeyOptions {
  /** Key id matched against the token's `kid` header. Required when several keys are active. */
  kid?: string;
  /** The one algorithm this key verifies (and signs). */
  alg: JwtAlgorithm;
  /** Shared secret for HS256/384/512: at least 32 random bytes. */
  secret?: string | Buffer;
  /** Public key (PEM, JWK or KeyObject) for RS/PS/ES/EdDSA. */
  publicKey?: string | Buffer | KeyObject | JsonWebKey;
  /** Private key (PEM, JWK or KeyObject): lets `TokenService` sign with this key. */
  privateKey?: string | Buffer | KeyObject | JsonWebKey;
}

/** A remote JWKS endpoint (your identity provider's `jwks_uri`). @publicApi */
export interface RemoteJwksOptions {
  /** The JWKS URL. https is required in the production profile. */
  url: string;
  /**
   * Fetch timeout.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Minimum time between two fetches triggered by an unknown `kid` (protects the IdP and you).
   * @default 30000
   */
  cooldownMs?: number;
  /**
   * How long fetched keys are trusted before they are refetched.
   * @default 600000
   */
  maxAgeMs?: number;
  /**
   * Algorithm pinned to RSA keys that do not name their `alg` (EC/OKP keys imply theirs).
   * @default 'RS256'
   */
  defaultAlgorithm?: JwtAlgorithm;
}

/** JWT verification and issuing. @publicApi */
export interface JwtOptions {
  /** Shorthand for one HS256 key: `keys: [{ alg: 'HS256', secret }]`. At least 32 bytes. */
  secret?: string | Buffer;
  /**
   * Active keys. Several at once rotate without downtime (tokens name theirs with `kid`).
   * @default []
   */
  keys?: JwtKeyOptions[];
  /** A local JWKS (`{ keys: [...] }`); each key's `alg` (or curve) pins its algorithm. */
  jwks?: { keys: JsonWebKey[] };
  /** A remote JWKS URL (string or options). Keys are selected by `kid`. */
  jwksUri?: string | RemoteJwksOptions;
  /** Accepted `iss` value(s); checked when set, and put into issued tokens (the first). */
  issuer?: string | string[];
  /** Accepted `aud` value(s); checked when set, and put into issued tokens (the first). */
  audience?: string | string[];
  /**
   * Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
   * @default 30
   */
  clockToleranceSec?: number;
  /** Refuse tokens whose `iat` is older than this many seconds. @default undefined (no limit) */
  maxAgeSec?: number;
  /**
   * Accept tokens without `exp` (immortal tokens). Loudly named because it is dangerous.
   * @default false
   */
  dangerouslyAllowTokensWithoutExp?: boolean;
  /**
   * Required `typ` header of access tokens (e.g. `at+jwt`). When unset any `typ` is accepted
   * except refresh tokens, which are never accepted as access tokens.
   * @default undefined
   */
  tokenType?: string;
  /**
   * Claim holding the roles (a string array or a space-separated string). Dotted paths allowed.
   * @default 'roles'
   */
  rolesClaim?: string;
  /**
   * Claim holding the rate-limit tier.
   * @default 'tier'
   */
  tierClaim?: string;
  /**
   * Also read the access token from this cookie (opt-in). The query string is never read. The
   * cookie is ignored on state-changing requests a browser marks as cross-site
   * (`Sec-Fetch-Site: cross-site`, `Origin: null`), against CSRF; still set `SameSite=Lax` or
   * `Strict` on it.
   * @default undefined
   */
  cookie?: string;
  /**
   * Verified tokens kept so hot tokens skip the signature check (revocation is still checked on
   * every request; an entry never outlives its token). A token is kept from its second
   * verification on, so tokens used once do not push out the ones in use. 0 disables the cache.
   * @default 10000
   */
  cacheSize?: number;
  /**
   * Lifetime of access tokens issued by `TokenService`, in seconds.
   * @default 900
   */
  accessTokenTtlSec?: number;
  /**
   * Lifetime of each refresh token, in seconds.
   * @default 604800
   */
  refreshTokenTtlSec?: number;
  /**
   * Absolute lifetime of a refresh-token family (a login); rotation never extends it.
   * @default 2592000
   */
  refreshFamilyTtlSec?: number;
  /**
   * Window in which the immediately previous refresh token may be retried once (concurrent tabs)
   * without being treated as reuse. 0 turns it off.
   * @default 10
   */
  refreshGraceSec?: number;
  /** Which key (`kid`) signs issued tokens. @default the first key that can sign */
  signingKid?: string;
}

/** API keys. @publicApi */
export interface ApiKeyOptions {
  /**
   * Server-side pepper (≥ 32 bytes) for the HMAC-SHA256 of stored keys. API keys are off without it.
   * Keep it out of the database that stores the hashes.
   */
  pepper?: string | Buffer;
  /**
   * Allowed key prefixes; the first is used when none is given at creation.
   * @default ['sk_live', 'sk_test']
   */
  prefixes?: string[];
  /**
   * Header carrying the key (besides `Authorization: ApiKey …`).
   * @default 'x-api-key'
   */
  header?: string;
  /**
   * Query parameters refused with 400 API_KEY_IN_QUERY (keys in URLs end up in logs).
   * @default ['api_key', 'apikey', 'api-key', 'apiKey', 'x-api-key']
   */
  queryParamNames?: string[];
  /**
   * How long a rotated key keeps working, in seconds.
   * @default 86400
   */
  rotationOverlapSec?: number;
  /**
   * Minimum time between two writes of a key's last-used time, in seconds.
   * @default 60
   */
  lastUsedIntervalSec?: number;
  /**
   * Where key records live (e.g. your database). See {@link ApiKeyStore}.
   * @default records in the SecurityModule storage (memory or Redis)
   */
  store?: ApiKeyStore;
  /**
   * Longest life of a key, in seconds. Keys created without `expiresInSec` get it, a longer
   * `expiresInSec` is refused, and a stored key older than this is refused whatever its record
   * says (keys created before the limit, records edited in the database).
   * @default 7776000 (90 days)
   */
  maxLifetimeSec?: number;
  /**
   * Accept test keys (a prefix whose last word is `test`, e.g. `sk_test`) in the `production`
   * profile. Off, they can be neither created nor used there: a key from a test environment or a
   * laptop must not open production.
   * @default false
   */
  allowTestKeysInProduction?: boolean;
  /**
   * `ApiKeyService.createFor()` needs a login at most this many seconds old (the token's
   * `auth_time`, else its `iat`; `TokenService` keeps `auth_time` across refreshes): a stolen
   * access token cannot be turned into a long-lived key unless the thief logged in just now.
   * Older logins get 401 `RECENT_LOGIN_REQUIRED`.
   * @default 300
   */
  mintMaxLoginAgeSec?: number;
  /**
   * Keys created with `createFor()` remember the session (`sid`) that created them, and are
   * refused once that session is revoked (logout, refresh-token reuse, `revokeSession`) or their
   * owner is (`revokeSubject`; the only link for tokens without `sid`). Keys created with
   * `create()` (server side, no login) are not affected.
   * @default true
   */
  revokeWithSession?: boolean;
}

/**
 * Authentication options.
 *
 * @publicApi
 */
export interface AuthOptions {
  /**
   * Turns authentication on or off. Off: every route is reachable without credentials.
   * @default true
   */
  enabled?: boolean;
  /**
   * Methods accepted on routes without `@Auth()`.
   * @default ['jwt'], plus 'api-key' when `apiKeys.pepper` is set
   */
  defaultMethods?: AuthMethod[];
  /** JWT verification and issuing. */
  jwt?: JwtOptions;
  /** API keys. */
  apiKeys?: ApiKeyOptions;
  /** Step-up multi-factor authentication (`@RequireMfa()`, `TotpService`). */
  mfa?: MfaOptions;
  /**
   * Cookie sessions for browsers (`SessionCookies`): token cookies and a signed double-submit
   * CSRF token required on cookie-authenticated writes. Off when unset.
   * @default undefined
   */
  session?: SessionCookieOptions;
  /** What the per-request revocation check does while the storage is down. */
  revocation?: RevocationOptions;
}

/**
 * The revocation check during a storage outage.
 *
 * @publicApi
 */
export interface RevocationOptions {
  /**
   * `'fail-closed'`: every authenticated request answers 503 while the storage does not answer.
   * `'replica'`: each instance keeps a local replica of revocations (read from a log in the
   * storage every `pollIntervalMs`) and checks tokens against it during an outage, so revoked
   * tokens stay refused and valid ones pass; a revocation made on another instance less than
   * `pollIntervalMs` before the outage may be missed (see docs/storage.md).
   * @default 'fail-closed'
   */
  outage?: 'fail-closed' | 'replica';
  /**
   * Revocations the replica holds (each until the tokens it revokes expire). Beyond it, new ones
   * are dropped and the replica stops standing in until they expire (requests fail closed).
   * @default 100000
   */
  maxEntries?: number;
  /**
   * How often each instance reads new revocations: the replica's staleness bound.
   * @default 1000
   */
  pollIntervalMs?: number;
}

/** @internal */
export interface ResolvedRemoteJwks {
  url: string;
  timeoutMs: number;
  cooldownMs: number;
  maxAgeMs: number;
  defaultAlgorithm: JwtAlgorithm;
}

/** @internal */
export interface ResolvedJwtOptions {
  /** Static keys, imported once. */
  keys: ResolvedJwtKey[];
  remoteJwks?: ResolvedRemoteJwks;
  issuer?: string[];
  audience?: string[];
  clockToleranceSec: number;
  maxAgeSec?: number;
  requireExp: boolean;
  tokenType?: string;
  rolesClaim: string[];
  tierClaim: string[];
  cookie?: string;
  cacheSize: number;
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
  refreshFamilyTtlSec: number;
  refreshGraceSec: number;
  signingKey?: ResolvedJwtKey;
}

/** @internal */
export interface ResolvedApiKeyOptions {
  enabled: boolean;
  pepper?: KeyObject;
  prefixes: string[];
  header: string;
  queryParamNames: string[];
  rotationOverlapSec: number;
  lastUsedIntervalSec: number;
  store?: ApiKeyStore;
  maxLifetimeSec: number;
  /** Test-key prefixes refused here (all of them in production unless allowed; none elsewhere). */
  refusedPrefixes: string[];
  mintMaxLoginAgeSec: number;
  revokeWithSession: boolean;
}

/** @internal */
export interface ResolvedAuthOptions {
  enabled: boolean;
  defaultMethods: AuthMethod[];
  jwt: ResolvedJwtOptions;
  apiKeys: ResolvedApiKeyOptions;
  revocation: Required<RevocationOptions>;
  mfa: ResolvedMfaOptions;
  session?: ResolvedSessionCookieOptions;
}

const JWT_KEYS = optionKeys<JwtOptions>()([
  'secret',
  'keys',
  'jwks',
  'jwksUri',
  'issuer',
  'audience',
  'clockToleranceSec',
  'maxAgeSec',
  'dangerouslyAllowTokensWithoutExp',
  'tokenType',
  'rolesClaim',
  'tierClaim',
  'cookie',
  'cacheSize',
  'accessTokenTtlSec',
  'refreshTokenTtlSec',
  'refreshFamilyTtlSec',
  'refreshGraceSec',
  'signingKid',
]);
const KEY_KEYS = optionKeys<JwtKeyOptions>()(['kid', 'alg', 'secret', 'publicKey', 'privateKey']);
const LOCAL_JWKS_KEYS = optionKeys<NonNullable<JwtOptions['jwks']>>()(['keys']);
const REMOTE_JWKS_KEYS = optionKeys<RemoteJwksOptions>()([
  'url',
  'timeoutMs',
  'cooldownMs',
  'maxAgeMs',
  'defaultAlgorithm',
]);
const API_KEY_KEYS = optionKeys<ApiKeyOptions>()([
  'pepper',
  'prefixes',
  'header',
  'queryParamNames',
  'rotationOverlapSec',
  'lastUsedIntervalSec',
  'store',
  'maxLifetimeSec',
  'allowTestKeysInProduction',
  'mintMaxLoginAgeSec',
  'revokeWithSession',
]);
const AUTH_KEYS = optionKeys<AuthOptions>()([
  'enabled',
  'defaultMethods',
  'jwt',
  'apiKeys',
  'mfa',
  'session',
  'revocation',
]);
const REVOCATION_KEYS = optionKeys<RevocationOptions>()(['outage', 'maxEntries', 'pollIntervalMs']);
const KID_PATTERN = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const PREFIX_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const DAY = 86_400;

/** A key that cannot be imported becomes a SecurityConfigError naming the option; anything else is rethrown as is. */
function configError(path: string, error: unknown, fix?: string): unknown {
  return error instanceof KeyImportError ? SecurityConfigError.create(path, error.message, fix) : error;
}

function readSecret(value: unknown, path: string): KeyObject {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
    throw SecurityConfigError.create(path, `must be a string or Buffer, got ${describe(value)}`, 'Pass the secret');
  }
  try {
    return importSecret(value);
  } catch (error) {
    throw configError(path, error);
  }
}

function readKeyMaterial(value: unknown, path: string, kind: 'public' | 'private'): KeyObject {
  const ok =
    typeof value === 'string' || Buffer.isBuffer(value) || isKeyObject(value) || (typeof value === 'object' && value);
  if (!ok) throw SecurityConfigError.create(path, `must be a PEM string, a JWK or a KeyObject, got ${describe(value)}`);
  try {
    const input = value as string | Buffer | KeyObject | JsonWebKey;
    return kind === 'public' ? importPublicKey(input) : importPrivateKey(input);
  } catch (error) {
    throw configError(path, error);
  }
}

function fit(key: KeyObject, alg: JwtAlgorithm, path: string): void {
  try {
    assertKeyFitsAlg(key, alg);
  } catch (error) {
    throw configError(path, error, 'Pin each key to the algorithm it was made for');
  }
}

function readKid(raw: Raw, path: string): string | undefined {
  const kid = readString(raw, 'kid', path);
  if (kid !== undefined && !KID_PATTERN.test(kid)) {
    throw SecurityConfigError.create(join(path, 'kid'), 'has characters outside [A-Za-z0-9._:@/+=-] or is too long');
  }
  return kid;
}

function resolveKey(value: unknown, path: string): ResolvedJwtKey {
  const raw = readStrictSection(value, KEY_KEYS, path);
  if (!isJwtAlgorithm(raw.alg)) {
    throw SecurityConfigError.create(
      join(path, 'alg'),
      `must be one of ${JWT_ALGORITHMS.join(', ')}, got ${typeof raw.alg === 'string' ? `"${raw.alg}"` : describe(raw.alg)}`,
      'Pin every key to one algorithm ("none" is never accepted)',
    );
  }
  const alg = raw.alg;
  const kid = readKid(raw, path);
  if (isHmac(alg)) {
    if (raw.publicKey !== undefined || raw.privateKey !== undefined) {
      throw SecurityConfigError.create(path, `is ${alg} (HMAC) but has a public/private key`, 'Use `secret` only');
    }
    const key = readSecret(raw.secret, join(path, 'secret'));
    return { kid, alg, verifyKey: key, signKey: key };
  }
  if (raw.secret !== undefined) {
    throw SecurityConfigError.create(join(path, 'secret'), `cannot be used with ${alg}`, 'Use publicKey/privateKey');
  }
  const signKey =
    raw.privateKey === undefined ? undefined : readKeyMaterial(raw.privateKey, join(path, 'privateKey'), 'private');
  const source = raw.publicKey ?? signKey;
  if (source === undefined) {
    throw SecurityConfigError.create(path, `is ${alg} but has no publicKey`, 'Set publicKey (PEM or JWK)');
  }
  const verifyKey = readKeyMaterial(source, join(path, raw.publicKey ? 'publicKey' : 'privateKey'), 'public');
  fit(verifyKey, alg, join(path, raw.publicKey ? 'publicKey' : 'privateKey'));
  return { kid, alg, verifyKey, signKey };
}

/** Imports one JWK of a JWKS, pinning its algorithm. Exported for the remote JWKS set. @internal */
export function importJwk(jwk: JsonWebKey & { alg?: unknown; use?: unknown }, fallback: JwtAlgorithm): ResolvedJwtKey {
  const alg = algFromJwk(jwk) ?? (jwk.kty === 'RSA' ? fallback : undefined);
  if (!alg) throw new KeyImportError(`has no usable alg (kty ${String(jwk.kty)})`);
  if (isHmac(alg) || jwk.kty === 'oct')
    throw new KeyImportError('is a symmetric key; a JWKS may only hold public keys');
  const { d: _private, ...publicJwk } = jwk as JsonWebKey & { d?: unknown };
  const verifyKey = importPublicKey(publicJwk);
  assertKeyFitsAlg(verifyKey, alg);
  const kid = typeof jwk.kid === 'string' && KID_PATTERN.test(jwk.kid) ? jwk.kid : undefined;
  return { kid, alg, verifyKey };
}

function resolveLocalJwks(value: unknown, path: string): ResolvedJwtKey[] {
  const raw = readStrictSection(value, LOCAL_JWKS_KEYS, path);
  if (!Array.isArray(raw.keys)) throw SecurityConfigError.create(join(path, 'keys'), 'must be an array of JWKs');
  return raw.keys.map((jwk: unknown, i: number) => {
    const where = `${path}.keys[${i}]`;
    if (!jwk || typeof jwk !== 'object') throw SecurityConfigError.create(where, 'must be a JWK object');
    try {
      return importJwk(jwk as JsonWebKey, 'RS256');
    } catch (error) {
      throw configError(where, error, 'Give the JWK an "alg" and a public key');
    }
  });
}

function resolveRemoteJwks(value: unknown, ctx: ResolveContext, path: string): ResolvedRemoteJwks {
  const raw: Raw = typeof value === 'string' ? { url: value } : readStrictSection(value, REMOTE_JWKS_KEYS, path);
  const url = readString(raw, 'url', path);
  let parsed: URL | undefined;
  try {
    parsed = url ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!url || !parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw SecurityConfigError.create(path, 'must be an http(s) URL', "Use your identity provider's jwks_uri");
  }
  if (parsed.protocol === 'http:' && ctx.profile === 'production') {
    throw SecurityConfigError.create(path, 'must use https in production (keys fetched over http can be swapped)');
  }
  const defaultAlgorithm = readEnum(raw, 'defaultAlgorithm', path, JWT_ALGORITHMS, 'RS256');
  if (isHmac(defaultAlgorithm)) throw SecurityConfigError.create(join(path, 'defaultAlgorithm'), 'cannot be HMAC');
  return {
    url,
    timeoutMs: readNumber(raw, 'timeoutMs', path, 5_000, { min: 100, max: 60_000, unit: 'ms' }),
    cooldownMs: readNumber(raw, 'cooldownMs', path, 30_000, { min: 0, max: 3_600_000, unit: 'ms' }),
    maxAgeMs: readNumber(raw, 'maxAgeMs', path, 600_000, { min: 1_000, unit: 'ms' }),
    defaultAlgorithm,
  };
}

function readStringOrList(raw: Raw, key: string, path: string): string[] | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [readString(raw, key, path) as string];
  const list = readStringArray(raw, key, path, []);
  if (list.length === 0)
    throw SecurityConfigError.create(join(path, key), 'must not be empty', 'Remove it or list values');
  return list;
}

function claimPath(raw: Raw, key: string, path: string, fallback: string): string[] {
  return readString(raw, key, path, fallback).split('.');
}

function checkKids(keys: ResolvedJwtKey[], path: string): void {
  const seen = new Set<string>();
  for (const key of keys) {
    const id = key.kid ?? '';
    if (seen.has(id)) {
      throw SecurityConfigError.create(
        path,
        key.kid ? `has two keys with kid "${key.kid}"` : 'has several keys without a kid',
        'Give every key a distinct kid so tokens can name theirs',
      );
    }
    seen.add(id);
  }
}

function resolveJwt(value: unknown, ctx: ResolveContext, path: string): ResolvedJwtOptions {
  const raw = readStrictSection(value, JWT_KEYS, path);
  const keys: ResolvedJwtKey[] = [];
  if (raw.secret !== undefined) {
    const key = readSecret(raw.secret, join(path, 'secret'));
    keys.push({ alg: 'HS256', verifyKey: key, signKey: key });
  }
  if (raw.keys !== undefined) {
    if (!Array.isArray(raw.keys)) throw SecurityConfigError.create(join(path, 'keys'), 'must be an array of keys');
    raw.keys.forEach((k: unknown, i: number) => keys.push(resolveKey(k, `${path}.keys[${i}]`)));
  }
  if (raw.jwks !== undefined) keys.push(...resolveLocalJwks(raw.jwks, join(path, 'jwks')));
  checkKids(keys, path);
  const signingKid = readString(raw, 'signingKid', path);
  const signingKey = signingKid ? keys.find((k) => k.kid === signingKid && k.signKey) : keys.find((k) => k.signKey);
  if (signingKid && !signingKey) {
    throw SecurityConfigError.create(
      join(path, 'signingKid'),
      `names no key with a secret or private key ("${signingKid}")`,
    );
  }
  const accessTokenTtlSec = readNumber(raw, 'accessTokenTtlSec', path, 900, {
    min: 1,
    max: DAY,
    integer: true,
    unit: 'seconds',
  });
  const refreshFamilyTtlSec = readNumber(raw, 'refreshFamilyTtlSec', path, 30 * DAY, {
    min: 60,
    integer: true,
    unit: 'seconds',
  });
  const refreshTokenTtlSec = readNumber(raw, 'refreshTokenTtlSec', path, Math.min(7 * DAY, refreshFamilyTtlSec), {
    min: 60,
    max: refreshFamilyTtlSec,
    integer: true,
    unit: 'seconds',
  });
  const maxAgeSec =
    raw.maxAgeSec === undefined ? undefined : readNumber(raw, 'maxAgeSec', path, 0, { min: 1, integer: true });
  const remoteJwks = raw.jwksUri === undefined ? undefined : resolveRemoteJwks(raw.jwksUri, ctx, join(path, 'jwksUri'));
  const issuer = readStringOrList(raw, 'issuer', path);
  const audience = readStringOrList(raw, 'audience', path);
  if (remoteJwks && ctx.profile === 'production' && (!issuer || !audience)) {
    // An identity provider signs tokens for every client and API it serves (ID tokens too) with
    // the same keys: without iss and aud checks, a token meant for another service gets in.
    throw SecurityConfigError.create(
      join(path, issuer ? 'audience' : 'issuer'),
      'must be set in production when jwksUri is: otherwise any token your identity provider signs, for any client or API, is accepted',
      'Set auth.jwt.issuer to the IdP issuer and auth.jwt.audience to this API’s identifier',
    );
  }
  const cookie = readString(raw, 'cookie', path);
  if (cookie !== undefined && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookie)) {
    throw SecurityConfigError.create(join(path, 'cookie'), 'is not a valid cookie name');
  }
  return {
    keys,
    remoteJwks,
    issuer,
    audience,
    clockToleranceSec: readNumber(raw, 'clockToleranceSec', path, 30, { min: 0, max: 300, unit: 'seconds' }),
    maxAgeSec,
    requireExp: !readBoolean(raw, 'dangerouslyAllowTokensWithoutExp', path, false),
    // Compared with the token's `typ` the same way: case-insensitive, `application/` optional.
    tokenType: normalizeTyp(readString(raw, 'tokenType', path)),
    rolesClaim: claimPath(raw, 'rolesClaim', path, 'roles'),
    tierClaim: claimPath(raw, 'tierClaim', path, 'tier'),
    cookie,
    cacheSize: readNumber(raw, 'cacheSize', path, 10_000, { min: 0, max: 10_000_000, integer: true }),
    accessTokenTtlSec,
    refreshTokenTtlSec,
    refreshFamilyTtlSec,
    refreshGraceSec: readNumber(raw, 'refreshGraceSec', path, 10, { min: 0, max: 300, unit: 'seconds' }),
    signingKey,
  };
}

/** A test prefix: its last `_` word is `test` (`sk_test`, `rk_test`). @internal */
export function isTestPrefix(prefix: string): boolean {
  return prefix === 'test' || prefix.endsWith('_test');
}

function resolveApiKeys(value: unknown, ctx: ResolveContext, path: string): ResolvedApiKeyOptions {
  const raw = readStrictSection(value, API_KEY_KEYS, path);
  const store = raw.store as Partial<ApiKeyStore> | undefined;
  if (
    store !== undefined &&
    !(store && ['findById', 'save', 'touch'].every((m) => typeof store[m as keyof ApiKeyStore] === 'function'))
  ) {
    throw SecurityConfigError.create(
      join(path, 'store'),
      'must implement findById, save and touch',
      'See the ApiKeyStore interface',
    );
  }
  const pepper = raw.pepper === undefined ? undefined : readSecret(raw.pepper, join(path, 'pepper'));
  const prefixes = readStringArray(raw, 'prefixes', path, ['sk_live', 'sk_test']);
  if (prefixes.length === 0) throw SecurityConfigError.create(join(path, 'prefixes'), 'must not be empty');
  prefixes.forEach((p, i) => {
    if (!PREFIX_PATTERN.test(p) || p.length > 16) {
      throw SecurityConfigError.create(
        `${path}.prefixes[${i}]`,
        `"${p}" must be 1-16 lowercase letters/digits in _-separated words`,
        'Use e.g. "sk_live"',
      );
    }
  });
  const allowTestKeys = readBoolean(raw, 'allowTestKeysInProduction', path, false);
  return {
    enabled: pepper !== undefined,
    pepper,
    prefixes,
    header: readString(raw, 'header', path, 'x-api-key').toLowerCase(),
    queryParamNames: readStringArray(raw, 'queryParamNames', path, [
      'api_key',
      'apikey',
      'api-key',
      'apiKey',
      'x-api-key',
    ]),
    rotationOverlapSec: readNumber(raw, 'rotationOverlapSec', path, DAY, { min: 0, integer: true, unit: 'seconds' }),
    lastUsedIntervalSec: readNumber(raw, 'lastUsedIntervalSec', path, 60, { min: 0, integer: true, unit: 'seconds' }),
    store: store as ApiKeyStore | undefined,
    maxLifetimeSec: readNumber(raw, 'maxLifetimeSec', path, 90 * DAY, {
      min: 60,
      max: 10 * 365 * DAY,
      integer: true,
      unit: 'seconds',
    }),
    refusedPrefixes: ctx.profile === 'production' && !allowTestKeys ? prefixes.filter(isTestPrefix) : [],
    mintMaxLoginAgeSec: readNumber(raw, 'mintMaxLoginAgeSec', path, 300, {
      min: 1,
      max: DAY,
      integer: true,
      unit: 'seconds',
    }),
    revokeWithSession: readBoolean(raw, 'revokeWithSession', path, true),
  };
}

function readMethods(raw: Raw, path: string, fallback: AuthMethod[]): AuthMethod[] {
  const list = readStringArray(raw, 'defaultMethods', path, fallback);
  if (list.length === 0)
    throw SecurityConfigError.create(
      join(path, 'defaultMethods'),
      'must not be empty',
      'Mark public routes with @Public() instead',
    );
  list.forEach((m, i) => {
    if (m !== 'jwt' && m !== 'api-key') {
      throw SecurityConfigError.create(`${path}.defaultMethods[${i}]`, `must be one of "jwt", "api-key", got "${m}"`);
    }
  });
  return [...new Set(list as AuthMethod[])];
}

/** Validates `auth` once at boot and imports every key. @internal */
export function resolveAuthOptions(value: unknown, ctx: ResolveContext, path = 'auth'): ResolvedAuthOptions {
  const raw = readStrictSection(value, AUTH_KEYS, path);
  const jwt = resolveJwt(raw.jwt, ctx, join(path, 'jwt'));
  const apiKeys = resolveApiKeys(raw.apiKeys, ctx, join(path, 'apiKeys'));
  const defaultMethods = readMethods(raw, path, apiKeys.enabled ? ['jwt', 'api-key'] : ['jwt']);
  if (defaultMethods.includes('api-key') && !apiKeys.enabled) {
    throw SecurityConfigError.create(
      join(path, 'defaultMethods'),
      'includes "api-key" but auth.apiKeys.pepper is not set',
      `Set auth.apiKeys.pepper to ${MIN_SECRET_BYTES}+ random bytes`,
    );
  }
  const session = resolveSessionCookies(raw.session, ctx, join(path, 'session'));
  if (session) {
    // The guard reads the access token from the session's cookie (and then requires CSRF tokens).
    if (jwt.cookie !== undefined && jwt.cookie !== session.accessCookie) {
      throw SecurityConfigError.create(
        join(path, 'jwt.cookie'),
        `names another cookie ("${jwt.cookie}") than auth.session.accessCookie ("${session.accessCookie}")`,
        'Remove auth.jwt.cookie: with auth.session the access cookie is auth.session.accessCookie',
      );
    }
    jwt.cookie = session.accessCookie;
  }
  const mfa = resolveMfaOptions(raw.mfa, join(path, 'mfa'));
  const revocation = resolveRevocation(raw.revocation, join(path, 'revocation'));
  return { enabled: readBoolean(raw, 'enabled', path, true), defaultMethods, jwt, apiKeys, mfa, session, revocation };
}

function resolveRevocation(value: unknown, path: string): Required<RevocationOptions> {
  const raw = readStrictSection(value, REVOCATION_KEYS, path);
  return {
    outage: readEnum(raw, 'outage', path, ['fail-closed', 'replica'], 'fail-closed'),
    maxEntries: readNumber(raw, 'maxEntries', path, 100_000, { min: 100, integer: true }),
    pollIntervalMs: readNumber(raw, 'pollIntervalMs', path, 1_000, {
      min: 100,
      max: 60_000,
      unit: 'ms',
      integer: true,
    }),
  };
}

/** The injected options authentication's services read. @internal */
export type AuthFeatureOptions = FeatureOptions<{ auth: ResolvedAuthOptions }>;
