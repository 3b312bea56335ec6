/** Field names whose values never leave the process (case-insensitive, substring match). */
const SENSITIVE =
  /pass(word|wd|phrase)?|secret|token|api[-_]?key|authorization|cookie|signature|credential|private[-_]?key|pepper|ssn/i;
/**
 * Any name that is, or ends with, "key"/"keys" once separators are dropped (`key`, `hmacKey`,
 * `signing_key`, `ENCRYPTION-KEY`, `keys`), while key identifiers (`keyId`, `kid`) stay readable.
 */
const KEY_NAME = /keys?$/;

function isSensitive(key: string, extraKeys: readonly string[]): boolean {
  const lower = key.toLowerCase();
  return SENSITIVE.test(key) || KEY_NAME.test(lower.replace(/[^a-z0-9]/g, '')) || extraKeys.includes(lower);
}
/** Values that look like a JWT or an API key of ours. */
const TOKEN_LIKE = /^(eyJ[\w-]+\.[\w-]+\.[\w-]*|[a-z]{2,8}_(live|test)_[A-Za-z0-9]{16,})/;
export const REDACTED = '[REDACTED]';

/**
 * Returns a copy of `value` with sensitive fields and token-looking strings replaced by
 * `[REDACTED]`. Depth- and size-bounded, cycle-safe.
 *
 * @internal
 */
export function redact(
  value: unknown,
  extraKeys: readonly string[] = [],
  depth = 0,
  seen = new WeakSet<object>(),
): unknown {
  if (typeof value === 'string')
    return TOKEN_LIKE.test(value) ? REDACTED : value.length > 512 ? `${value.slice(0, 512)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6 || seen.has(value)) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => redact(item, extraKeys, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = isSensitive(key, extraKeys) ? REDACTED : redact(child, extraKeys, depth + 1, seen);
  }
  return out;
}
