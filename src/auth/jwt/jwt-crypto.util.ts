import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  webcrypto,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;

/** The JWS algorithms SecurityModule verifies and signs. @publicApi */
export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'ES256',
  'ES384',
  'EdDSA',
] as const;

/** @publicApi */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Minimum HMAC secret length in bytes (RFC 8725 §3.5, OWASP: at least the hash output of HS256). */
export const MIN_SECRET_BYTES = 32;

/** Which keys fit an algorithm (checked at boot; signatures themselves are jose's business). */
interface AlgSpec {
  family: 'hmac' | 'rsa' | 'pss' | 'ec' | 'okp';
  /** EC curve (Node's name). */
  curve?: string;
}

const SPECS: Record<JwtAlgorithm, AlgSpec> = {
  HS256: { family: 'hmac' },
  HS384: { family: 'hmac' },
  HS512: { family: 'hmac' },
  RS256: { family: 'rsa' },
  RS384: { family: 'rsa' },
  RS512: { family: 'rsa' },
  PS256: { family: 'pss' },
  ES256: { family: 'ec', curve: 'prime256v1' },
  ES384: { family: 'ec', curve: 'secp384r1' },
  EdDSA: { family: 'okp' },
};

/**
 * One key, imported once at boot and pinned to exactly one algorithm: the token header never
 * chooses the algorithm, it can only agree with the key's.
 *
 * @internal
 */
export interface ResolvedJwtKey {
  kid?: string;
  alg: JwtAlgorithm;
  /** Verifies signatures (secret for HS*, public key otherwise). */
  verifyKey: KeyObject;
  /** Signs tokens, when a secret or private key was configured. */
  signKey?: KeyObject;
}

/** Why a configured key cannot be used; the caller turns it into a SecurityConfigError. @internal */
export class KeyImportError extends Error {}

export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === 'string' && (JWT_ALGORITHMS as readonly string[]).includes(value);
}

export function isHmac(alg: JwtAlgorithm): boolean {
  return SPECS[alg].family === 'hmac';
}

/** Imports an HMAC secret; refuses short ones. */
export function importSecret(secret: string | Buffer): KeyObject {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new KeyImportError(
      `is ${bytes.length} bytes; HMAC secrets need at least ${MIN_SECRET_BYTES} random bytes (a short secret can be brute-forced offline from any token). Generate one with: node -e "console.log(require('crypto').randomBytes(48).toString('base64url'))"`,
    );
  }
  return createSecretKey(bytes);
}

/** Imports a public key (PEM, JWK or KeyObject); a private key yields its public half. */
export function importPublicKey(input: string | Buffer | KeyObject | JsonWebKey): KeyObject {
  try {
    if (isKeyObject(input)) return input.type === 'private' ? createPublicKey(input) : input;
    if (typeof input === 'string' || Buffer.isBuffer(input)) return createPublicKey(input);
    return createPublicKey({ key: input, format: 'jwk' });
  } catch (error) {
    throw new KeyImportError(`could not be imported as a public key (${(error as Error).message})`);
  }
}

/** Imports a private key (PEM, JWK or KeyObject). */
export function importPrivateKey(input: string | Buffer | KeyObject | JsonWebKey): KeyObject {
  try {
    if (isKeyObject(input)) return input;
    if (typeof input === 'string' || Buffer.isBuffer(input)) return createPrivateKey(input);
    return createPrivateKey({ key: input, format: 'jwk' });
  } catch (error) {
    throw new KeyImportError(`could not be imported as a private key (${(error as Error).message})`);
  }
}

export function isKeyObject(value: unknown): value is KeyObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KeyObject).type === 'string' &&
    typeof (value as KeyObject).export === 'function'
  );
}

/**
 * Checks that `key` really is a key for `alg` (no HS/RS confusion: an HMAC alg never gets a
 * public key, an RSA alg never gets a secret) and is strong enough.
 */
export function assertKeyFitsAlg(key: KeyObject, alg: JwtAlgorithm): void {
  const spec = SPECS[alg];
  if (spec.family === 'hmac') {
    if (key.type !== 'secret') throw new KeyImportError(`is a ${key.type} key but ${alg} needs a shared secret`);
    if ((key.symmetricKeySize ?? 0) < MIN_SECRET_BYTES)
      throw new KeyImportError(`is shorter than ${MIN_SECRET_BYTES} bytes`);
    return;
  }
  if (key.type === 'secret') throw new KeyImportError(`is a shared secret but ${alg} needs a public/private key`);
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  switch (spec.family) {
    case 'rsa':
    case 'pss':
      if (type !== 'rsa' && !(spec.family === 'pss' && type === 'rsa-pss')) {
        throw new KeyImportError(`is a ${type} key but ${alg} needs an RSA key`);
      }
      if ((details.modulusLength ?? 0) < 2048) throw new KeyImportError(`is an RSA key shorter than 2048 bits`);
      return;
    case 'ec':
      if (type !== 'ec' || details.namedCurve !== spec.curve) {
        throw new KeyImportError(
          `is a ${type} ${details.namedCurve ?? ''} key but ${alg} needs an EC ${spec.curve} key`,
        );
      }
      return;
    case 'okp':
      // jose (like most JOSE stacks today) verifies EdDSA with Ed25519 only.
      if (type !== 'ed25519') throw new KeyImportError(`is a ${type} key but EdDSA needs an Ed25519 key`);
      return;
  }
}

/** The algorithm a JWK implies when it does not name one (EC and OKP curves; RSA is ambiguous). */
export function algFromJwk(jwk: JsonWebKey & { alg?: unknown }): JwtAlgorithm | undefined {
  if (isJwtAlgorithm(jwk.alg)) return jwk.alg;
  if (jwk.kty === 'EC') return jwk.crv === 'P-256' ? 'ES256' : jwk.crv === 'P-384' ? 'ES384' : undefined;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

/** WebCrypto parameters of the HMAC algorithms (jose verifies and signs through WebCrypto). */
const HMAC_HASH: Partial<Record<JwtAlgorithm, string>> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };

/**
 * The key handed to `jose` for one use. Asymmetric `KeyObject`s go as they are (jose converts each
 * once and keeps the result); an HMAC secret is imported into a non-extractable `CryptoKey` here,
 * once, because jose would re-import a secret `KeyObject` on every call.
 */
export async function toJoseKey(
  alg: JwtAlgorithm,
  key: KeyObject,
  usage: 'sign' | 'verify',
): Promise<CryptoKey | KeyObject> {
  const hash = HMAC_HASH[alg];
  if (!hash) return key;
  return webcrypto.subtle.importKey('raw', key.export(), { name: 'HMAC', hash }, false, [usage]);
}
