/** Where a config-file key goes in the options, when that is not simply its camelCase form. */
export interface ConfigAlias {
  /** The option path; a numeric part is an array index (`auth.jwt.keys.0.alg`). */
  path: string;
  /** Converts the file's value (e.g. a unit change). */
  convert?: (value: unknown) => unknown;
}

/**
 * Config-file keys whose option is not simply their camelCase form. Everything else maps by
 * camelCase (`trust_proxy` → `trustProxy`, `rate_limit.fail_open` → `rateLimit.failOpen`,
 * `rate_limit.max_requests` → `rateLimit.maxRequests`, `cors.max_age` → `cors.maxAge`).
 *
 * The `auth` shorthands describe the one JWT key most apps have: `algorithm` with `secret` (HMAC)
 * or `public_key`/`private_key` (RS/PS/ES/EdDSA) become `auth.jwt.keys[0]`; the option validation
 * then refuses a mismatch (a secret with RS256, a short HMAC secret) naming the file key.
 *
 * @internal
 */
export const CONFIG_ALIASES: Record<string, ConfigAlias> = {
  'auth.algorithm': { path: 'auth.jwt.keys.0.alg' },
  'auth.secret': { path: 'auth.jwt.keys.0.secret' },
  'auth.public_key': { path: 'auth.jwt.keys.0.publicKey' },
  'auth.private_key': { path: 'auth.jwt.keys.0.privateKey' },
  'auth.issuer': { path: 'auth.jwt.issuer' },
  'auth.audience': { path: 'auth.jwt.audience' },
  'auth.token_expiry': { path: 'auth.jwt.accessTokenTtlSec' },
  'auth.refresh_expiry': { path: 'auth.jwt.refreshTokenTtlSec' },
};
