import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Length of the public key id (≈71 bits) that opens every key body. */
export const API_KEY_ID_LENGTH = 12;
/** Length of the secret part (≈190 bits). */
export const API_KEY_SECRET_LENGTH = 32;
const BODY = new RegExp(`^[0-9A-Za-z]{${API_KEY_ID_LENGTH + API_KEY_SECRET_LENGTH}}$`);
const CHECKSUM_LENGTH = 6;

/** Uniform base62 from the CSPRNG (rejection sampling, no modulo bias). @internal */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** CRC32 of `text` as 6 base62 characters, zero-padded (the GitHub token design). @internal */
export function checksum(text: string): string {
  let n = crc32(text);
  let out = '';
  while (n > 0) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(CHECKSUM_LENGTH, '0');
}

/** A parsed API key. @internal */
export interface ParsedApiKey {
  prefix: string;
  id: string;
}

/**
 * Builds `<prefix>_<id><secret>_<crc32>`: the prefix names the key kind for humans and secret
 * scanners, `_` is not base64 so random strings never collide with the shape, the checksum lets a
 * scanner (and our guard) reject garbage offline.
 *
 * @internal
 */
export function generateApiKey(prefix: string): { key: string; id: string } {
  const id = randomBase62(API_KEY_ID_LENGTH);
  const head = `${prefix}_${id}${randomBase62(API_KEY_SECRET_LENGTH)}`;
  return { key: `${head}_${checksum(head)}`, id };
}

/** Parses and checks the shape, prefix and checksum; `undefined` when any of them is wrong. @internal */
export function parseApiKey(key: string, prefixes: readonly string[]): ParsedApiKey | undefined {
  if (key.length > 128) return undefined;
  const last = key.lastIndexOf('_');
  const bodyStart = key.lastIndexOf('_', last - 1);
  if (last <= 0 || bodyStart <= 0) return undefined;
  const prefix = key.slice(0, bodyStart);
  const body = key.slice(bodyStart + 1, last);
  if (!prefixes.includes(prefix) || !BODY.test(body)) return undefined;
  if (checksum(key.slice(0, last)) !== key.slice(last + 1)) return undefined;
  return { prefix, id: body.slice(0, API_KEY_ID_LENGTH) };
}
