import { createHash } from 'node:crypto';

/** First line of every canonical string: names the scheme and its version. @publicApi */
export const SIGNATURE_SCHEME = 'RAMPART-HMAC-SHA256';

/** The parts of a request that are signed. @publicApi */
export interface CanonicalRequestParts {
  /** HTTP method (upper-cased when signed). */
  method: string;
  /** Path as sent on the wire (no decoding), without the query string. */
  path: string;
  /** Raw query string without `?` (may be empty). */
  query: string;
  /** Values of the signed headers, in the configured order (absent: empty string). */
  headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** Unix seconds, as sent in `X-Timestamp`. */
  timestamp: string;
  /** `X-Nonce`. */
  nonce: string;
  /** `X-Key-Id`. */
  keyId: string;
  /** Raw body bytes (empty for none). */
  body: Buffer | string;
}

/**
 * The query string in canonical form: `&`-separated pairs, empties dropped, sorted by code
 * unit, with no decoding or re-encoding (the client signs exactly the bytes it sends).
 *
 * @internal
 */
export function canonicalQuery(query: string): string {
  if (query.length === 0) return '';
  const pairs = query.split('&').filter((p) => p.length > 0);
  if (pairs.length < 2) return pairs.join('&');
  return pairs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join('&');
}

/**
 * Builds the string that is HMAC-ed, one field per line:
 * ```
 * RAMPART-HMAC-SHA256
 * <METHOD>
 * <path>
 * <sorted query>
 * <header-1>:<trimmed value>   (one line per signed header, in the configured order)
 * <timestamp>
 * <nonce>
 * <key id>
 * <hex SHA-256 of the raw body>
 * ```
 *
 * @publicApi
 */
export function canonicalRequestString(parts: CanonicalRequestParts): string {
  const bodyHash = createHash('sha256').update(parts.body).digest('hex');
  let out = `${SIGNATURE_SCHEME}\n${parts.method.toUpperCase()}\n${parts.path}\n${canonicalQuery(parts.query)}\n`;
  for (const [name, value] of parts.headers) out += `${name.toLowerCase()}:${value.trim()}\n`;
  return `${out}${parts.timestamp}\n${parts.nonce}\n${parts.keyId}\n${bodyHash}`;
}

/** Splits `/path?query` (or a full URL) into path and raw query. @internal */
export function splitUrl(url: string): { path: string; query: string } {
  let rest = url;
  const scheme = rest.indexOf('://');
  if (scheme !== -1) {
    const slash = rest.indexOf('/', scheme + 3);
    rest = slash === -1 ? '/' : rest.slice(slash);
  }
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  return q === -1 ? { path: rest || '/', query: '' } : { path: rest.slice(0, q) || '/', query: rest.slice(q + 1) };
}
