/** Where a config-file key goes in the options, when that is not simply its camelCase form. */
export interface ConfigAlias {
  /** The option path; a numeric part is an array index (`auth.jwt.keys.0.alg`). */
  path: string;
  /** Converts the file's value (e.g. a unit change). */
  convert?: (value: unknown) => unknown;
  /**
   * For a key of the seed's flat file whose option means something different from what the seed
   * meant: the warning logged once at boot (or undefined when this value is not affected).
   */
  differs?: (value: unknown) => string | undefined;
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
  'graphql.max_complexity': {
    path: 'graphql.maxCost',
    differs: () =>
      "is compared with this library's schema-aware cost (a field costs its complexity or 1, a field with a selection adds it times its list size: first/last/limit, variables read, else graphql.defaultListSize on lists); a limit tuned for another scorer may refuse or admit different queries",
  },
  'validation.max_payload_bytes': {
    path: 'validation.maxPayloadBytes',
    differs: (value) =>
      typeof value === 'number' && value > EXPRESS_JSON_LIMIT
        ? "is checked on Content-Length before parsing; on Express the body parser's own 100 kB limit refuses bigger JSON bodies first: raise it with app.useBodyParser('json', { limit })"
        : undefined,
  },
};

/** body-parser's default JSON limit (100 kB). */
const EXPRESS_JSON_LIMIT = 102_400;

/** The environment profiles a CORS block may be keyed by. */
const CORS_ENVIRONMENTS = ['development', 'staging', 'production'];

/** The response headers exposed by default (`cors.exposedHeaders`). */
const DEFAULT_EXPOSED = ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-ID'];

/** The seed's CORS key names, at the top of `cors` or in a per-environment block. */
const CORS_POLICY_ALIASES: Record<string, ConfigAlias> = {
  allowed_origins: { path: 'origins' },
  allow_credentials: { path: 'credentials' },
  allowed_methods: { path: 'methods' },
  allowed_headers: { path: 'allowedHeaders' },
  expose_headers: {
    path: 'exposedHeaders',
    differs: (value) => {
      if (!Array.isArray(value)) return undefined;
      const given = new Set(value.map((v) => String(v).toLowerCase()));
      const dropped = DEFAULT_EXPOSED.filter((h) => !given.has(h.toLowerCase()));
      return dropped.length > 0
        ? `replaces the default exposed headers instead of adding to them, so scripts can no longer read ${dropped.join(', ')}: list them too if the browser app needs them`
        : undefined;
    },
  },
};

/**
 * The alias of a config-file key path (`cors.production.allowed_origins`), if it has one: the
 * fixed ones above, and the seed's CORS block, `cors.<environment>` → `cors.environments.<environment>`
 * with `allowed_origins` → `origins`, `allow_credentials` → `credentials`, `expose_headers` →
 * `exposedHeaders`, `allowed_methods` → `methods`, `allowed_headers` → `allowedHeaders` (also
 * at the top of `cors` and under `cors.environments.<environment>`).
 *
 * @internal
 */
export function configAliasOf(fileKey: string): ConfigAlias | undefined {
  const fixed = CONFIG_ALIASES[fileKey];
  if (fixed) return fixed;
  const parts = fileKey.split('.');
  if (parts[0] !== 'cors') return undefined;
  if (parts.length === 2 && CORS_ENVIRONMENTS.includes(parts[1])) return { path: `cors.environments.${parts[1]}` };
  const base =
    parts.length === 2
      ? 'cors'
      : parts.length === 3 && CORS_ENVIRONMENTS.includes(parts[1])
        ? `cors.environments.${parts[1]}`
        : parts.length === 4 && parts[1] === 'environments' && CORS_ENVIRONMENTS.includes(parts[2])
          ? `cors.environments.${parts[2]}`
          : undefined;
  const policy = base === undefined ? undefined : CORS_POLICY_ALIASES[parts[parts.length - 1]];
  return policy && { ...policy, path: `${base}.${policy.path}` };
}
