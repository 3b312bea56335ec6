import type { HttpExchange } from './scan.types';

const SECRET_HEADERS =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|x-access-token|x-csrf-token)$/i;
const SECRET_KEYS =
  /(password|passwd|pwd|secret|token|api_?key|apikey|private_?key|hash|salt|credential|cvv|card_?number|credit_?card|^key$|^pin$|otp)/i;
const SECRET_VALUES = [
  /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, // JWT
  /\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}/g, // bcrypt
  /\$argon2(id|i|d)\$[^"\s]+/g,
  /\b[a-f0-9]{32}:[a-f0-9]{64}\b/g, // salt:scrypt hex
  /\b(sk|pk|rk)_(live|test)_[A-Za-z0-9_]{8,}/g, // API keys
];

function scrubText(text: string, known: readonly string[]): string {
  let out = text;
  for (const secret of known) if (secret.length >= 8) out = out.split(secret).join('[REDACTED]');
  for (const re of SECRET_VALUES) out = out.replace(re, (m) => `[REDACTED ${m.length} chars]`);
  return out;
}

function scrubJson(value: unknown, known: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, known));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEYS.test(k) && (typeof v === 'string' || typeof v === 'number')
          ? `[REDACTED ${String(v).length} chars]`
          : scrubJson(v, known),
      ]),
    );
  return typeof value === 'string' ? scrubText(value, known) : value;
}

function scrubBody(body: string | undefined, known: readonly string[]): string | undefined {
  if (body === undefined) return undefined;
  try {
    return JSON.stringify(scrubJson(JSON.parse(body), known), null, 2);
  } catch {
    return scrubText(body, known);
  }
}

function scrubUrl(url: string, known: readonly string[]): string {
  const u = new URL(url);
  for (const [k] of u.searchParams) if (SECRET_KEYS.test(k)) u.searchParams.set(k, '[REDACTED]');
  return scrubText(u.toString(), known);
}

/**
 * A copy of the exchange fit for a report: credentials headers, secret-looking JSON fields, tokens,
 * password hashes, API keys and every credential the scan holds (`known`) are replaced by
 * `[REDACTED …]`. Reports never carry a usable secret.
 *
 * @internal
 */
export function redactExchange(x: HttpExchange, known: readonly string[]): HttpExchange {
  const headers = (h: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(h).map(([k, v]) => [k, SECRET_HEADERS.test(k) ? '[REDACTED]' : scrubText(v, known)]),
    );
  return {
    identity: x.identity,
    request: {
      method: x.request.method,
      url: scrubUrl(x.request.url, known),
      headers: headers(x.request.headers),
      body: scrubBody(x.request.body, known),
    },
    response: x.response && {
      ...x.response,
      headers: headers(x.response.headers),
      body: scrubBody(x.response.body, known) ?? '',
    },
    error: x.error,
  };
}
