import { createHmac, generateKeyPairSync, type KeyObject, sign as cryptoSign, constants } from 'node:crypto';

/** Test-only JWT forging: any header, any payload, any signature. */
export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

export type Signer = (input: string) => Buffer;

export const hmacSigner =
  (secret: string | Buffer, hash = 'sha256'): Signer =>
  (input) =>
    createHmac(hash, secret).update(input).digest();

export const rsaSigner =
  (key: KeyObject, hash = 'sha256'): Signer =>
  (input) =>
    cryptoSign(hash, Buffer.from(input), key);

export const pssSigner =
  (key: KeyObject): Signer =>
  (input) =>
    cryptoSign('sha256', Buffer.from(input), {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });

export const ecSigner =
  (key: KeyObject, hash = 'sha256'): Signer =>
  (input) =>
    cryptoSign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });

export const edSigner =
  (key: KeyObject): Signer =>
  (input) =>
    cryptoSign(null, Buffer.from(input), key);

export function forge(header: Record<string, unknown>, payload: Record<string, unknown>, signer?: Signer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signer ? signer(input).toString('base64url') : ''}`;
}

export const now = (): number => Math.floor(Date.now() / 1000);

export function rsaPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}
export function ecPair(curve = 'prime256v1'): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: curve });
}
export function edPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}
