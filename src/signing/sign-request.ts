import { createHmac, randomBytes } from 'node:crypto';
import { canonicalRequestString, splitUrl } from './canonical-request.util';

/** What {@link signRequest} needs. @publicApi */
export interface SignRequestInput {
  /** HTTP method. */
  method: string;
  /** Path with query (`/orders?b=2&a=1`) or a full URL. Sent exactly like this. */
  url: string;
  /** Raw body exactly as it will be sent (string is UTF-8 encoded). @default '' */
  body?: string | Buffer;
  /** Request headers (case-insensitive), for the signed headers. @default {} */
  headers?: Record<string, string | undefined>;
  /** Key id the server knows the secret under. */
  keyId: string;
  /** The shared secret. */
  secret: string;
  /**
   * Headers covered besides the fixed parts; must equal the server's `signing.signedHeaders`.
   * @default ['content-type']
   */
  signedHeaders?: readonly string[];
  /** Unix seconds. @default now */
  timestamp?: number;
  /** Unique per request, 16-128 characters `[A-Za-z0-9_-]`. @default 32 random hex characters */
  nonce?: string;
}

/** Headers to add to a signed request (a plain record, so it spreads into `fetch` headers). @publicApi */
export type SignedRequestHeaders = {
  'X-Signature': string;
  'X-Timestamp': string;
  'X-Key-Id': string;
  'X-Nonce': string;
};

/**
 * Signs an outgoing request for a `@Signed()` route: HMAC-SHA256 (hex) over the canonical string
 * of method, path, sorted query, signed headers, timestamp, nonce, key id and the SHA-256 of the
 * raw body. Returns the four headers to send.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ amount: 100 });
 * const headers = signRequest({ method: 'POST', url: '/internal/transfers', body,
 *   headers: { 'content-type': 'application/json' }, keyId: 'k1', secret: process.env.SIGNING_SECRET! });
 * await fetch(`${base}/internal/transfers`, { method: 'POST', body,
 *   headers: { 'content-type': 'application/json', ...headers } });
 * ```
 * @publicApi
 */
export function signRequest(input: SignRequestInput): SignedRequestHeaders {
  const { path, query } = splitUrl(input.url);
  const lower: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) lower[k.toLowerCase()] = v;
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = input.nonce ?? randomBytes(16).toString('hex');
  const canonical = canonicalRequestString({
    method: input.method,
    path,
    query,
    headers: (input.signedHeaders ?? ['content-type']).map((h) => [h, lower[h.toLowerCase()] ?? ''] as const),
    timestamp,
    nonce,
    keyId: input.keyId,
    body: input.body ?? '',
  });
  return {
    'X-Signature': createHmac('sha256', input.secret).update(canonical).digest('hex'),
    'X-Timestamp': timestamp,
    'X-Key-Id': input.keyId,
    'X-Nonce': nonce,
  };
}
