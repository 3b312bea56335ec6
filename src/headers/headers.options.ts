import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolveContext } from '../core/options/core.options';
import {
  describe,
  join,
  readBoolean,
  readEnum,
  readNumber,
  readSection,
  readStrictSection,
  readStringArray,
  type Raw,
  optionKeys,
} from '../core/options/validate.util';

/**
 * `Strict-Transport-Security` settings.
 *
 * @publicApi
 */
export interface HstsOptions {
  /**
   * `max-age` in seconds. At least one year once you are sure every subdomain speaks HTTPS.
   * @default 63072000 (two years)
   */
  maxAge?: number;
  /**
   * Adds `includeSubDomains`.
   * @default true
   */
  includeSubDomains?: boolean;
  /**
   * Adds `preload` (requires `includeSubDomains` and a max-age of at least one year; submit the
   * domain to hstspreload.org afterwards, it is hard to undo).
   * @default false
   */
  preload?: boolean;
}

/**
 * HTTPS enforcement behind a trusted proxy. A request counts as HTTPS when its socket is TLS, or
 * when a proxy listed in `trustProxy` says `X-Forwarded-Proto: https`. Anything else is refused
 * (403 `HTTPS_REQUIRED`) or redirected (308).
 *
 * @publicApi
 */
export interface HttpsEnforcementOptions {
  /**
   * `off`, `reject` (403) or `redirect` (308 to the same URL on https).
   * @default 'off'
   */
  mode?: 'off' | 'reject' | 'redirect';
  /**
   * Paths exempt from enforcement (e.g. a load balancer's plain-http health check), matched on
   * whole segments: `/health` exempts `/health` and `/health/live`, not `/healthz`.
   * @default []
   */
  exemptPaths?: string[];
}

/**
 * Security response headers (API preset). Every value is computed once at boot; per request the
 * edge only copies the precomputed strings. Set a header to `false` to leave it out, or to a
 * string to replace the preset value.
 *
 * @publicApi
 */
export interface HeadersOptions {
  /**
   * Turns the security headers on or off (HTTPS enforcement is configured separately in `https`).
   * @default true
   */
  enabled?: boolean;
  /**
   * @default 'no-store'
   */
  cacheControl?: string | false;
  /**
   * @default "default-src 'none'; frame-ancestors 'none'"
   */
  contentSecurityPolicy?: string | false;
  /**
   * `Strict-Transport-Security`; `false` leaves it out.
   * @default { maxAge: 63072000, includeSubDomains: true, preload: false }
   */
  hsts?: HstsOptions | false;
  /**
   * @default 'DENY'
   */
  frameOptions?: 'DENY' | 'SAMEORIGIN' | false;
  /**
   * @default 'no-referrer'
   */
  referrerPolicy?: string | false;
  /**
   * @default a deny-all list (`accelerometer=(),autoplay=(),camera=(),…`)
   */
  permissionsPolicy?: string | false;
  /**
   * @default 'same-origin'
   */
  crossOriginOpenerPolicy?: string | false;
  /**
   * @default 'same-origin'
   */
  crossOriginResourcePolicy?: string | false;
  /**
   * `X-Content-Type-Options: nosniff`.
   * @default true
   */
  noSniff?: boolean;
  /**
   * @default 'none'
   */
  permittedCrossDomainPolicies?: string | false;
  /**
   * Extra headers to set on every response, e.g. `{ 'Cross-Origin-Embedder-Policy': 'require-corp' }`.
   * @default {}
   */
  custom?: Record<string, string>;
  /**
   * Headers removed from every response because they disclose the stack.
   * @default ['X-Powered-By', 'Server']
   */
  remove?: string[];
  /** HTTPS enforcement. */
  https?: HttpsEnforcementOptions;
}

/** @internal */
export interface ResolvedHeadersOptions {
  enabled: boolean;
  /** `[lower-case name, value]` pairs, set on every response. */
  set: ReadonlyArray<readonly [string, string]>;
  /** Lower-case names removed from every response. */
  remove: readonly string[];
  https: { mode: 'off' | 'reject' | 'redirect'; exemptPaths: readonly string[] };
}

/**
 * Deny-all Permissions-Policy for APIs (features a JSON API never needs). The header is a
 * structured-field dictionary (RFC 8941), whose members may be separated by a bare comma: the
 * optional space after each one would be 22 more bytes on every response.
 *
 * @internal
 */
export const DENY_ALL_PERMISSIONS_POLICY = [
  'accelerometer',
  'autoplay',
  'camera',
  'clipboard-read',
  'clipboard-write',
  'display-capture',
  'encrypted-media',
  'fullscreen',
  'geolocation',
  'gyroscope',
  'hid',
  'idle-detection',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'picture-in-picture',
  'publickey-credentials-get',
  'screen-wake-lock',
  'serial',
  'usb',
  'web-share',
  'xr-spatial-tracking',
]
  .map((feature) => `${feature}=()`)
  .join(',');

const KEYS = optionKeys<HeadersOptions>()([
  'enabled',
  'cacheControl',
  'contentSecurityPolicy',
  'hsts',
  'frameOptions',
  'referrerPolicy',
  'permissionsPolicy',
  'crossOriginOpenerPolicy',
  'crossOriginResourcePolicy',
  'noSniff',
  'permittedCrossDomainPolicies',
  'custom',
  'remove',
  'https',
]);
const HSTS_KEYS = optionKeys<HstsOptions>()(['maxAge', 'includeSubDomains', 'preload']);
const HTTPS_KEYS = optionKeys<HttpsEnforcementOptions>()(['mode', 'exemptPaths']);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII and spaces only: no CR/LF (header injection) and no control characters. */
const SAFE_VALUE = /^[\t\x20-\x7e]*$/;

/** Validates a header name/value pair at boot. @internal */
export function checkHeader(name: string, value: string, path: string): void {
  if (!TOKEN.test(name)) {
    throw SecurityConfigError.create(path, `"${name}" is not a valid header name`, 'Use letters, digits and dashes');
  }
  if (!SAFE_VALUE.test(value)) {
    throw SecurityConfigError.create(
      path,
      'contains a line break or control character',
      'Header values must be printable ASCII on one line',
    );
  }
}

function readHeaderValue(raw: Raw, key: string, path: string, fallback: string): string | undefined {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (value === false) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw SecurityConfigError.create(
      join(path, key),
      `must be a non-empty string or false, got ${describe(value)}`,
      'Pass the header value, or false to leave the header out',
    );
  }
  checkHeader('x', value, join(path, key));
  return value;
}

function resolveHsts(value: unknown, path: string): string | undefined {
  if (value === false) return undefined;
  const raw = readStrictSection(value, HSTS_KEYS, path);
  const maxAge = readNumber(raw, 'maxAge', path, 63_072_000, { min: 0, integer: true, unit: 'seconds' });
  const includeSubDomains = readBoolean(raw, 'includeSubDomains', path, true);
  const preload = readBoolean(raw, 'preload', path, false);
  if (preload && (!includeSubDomains || maxAge < 31_536_000)) {
    throw SecurityConfigError.create(
      join(path, 'preload'),
      'requires includeSubDomains and a maxAge of at least 31536000 (one year)',
      'Set includeSubDomains: true and maxAge ≥ 31536000, or drop preload',
    );
  }
  return `max-age=${maxAge}${includeSubDomains ? '; includeSubDomains' : ''}${preload ? '; preload' : ''}`;
}

function resolveCustom(value: unknown, path: string): Array<[string, string]> {
  const raw = readSection(value, path);
  return Object.entries(raw).map(([name, v]) => {
    if (typeof v !== 'string') {
      throw SecurityConfigError.create(join(path, name), `must be a string, got ${describe(v)}`, 'Use a string value');
    }
    checkHeader(name, v, join(path, name));
    return [name.toLowerCase(), v];
  });
}

function resolveHttps(value: unknown, path: string): ResolvedHeadersOptions['https'] {
  const raw = readStrictSection(value, HTTPS_KEYS, path);
  const exemptPaths = readStringArray(raw, 'exemptPaths', path, []);
  exemptPaths.forEach((p, i) => {
    if (!p.startsWith('/')) {
      throw SecurityConfigError.create(`${path}.exemptPaths[${i}]`, `"${p}" must start with "/"`, 'Use e.g. "/health"');
    }
  });
  return { mode: readEnum(raw, 'mode', path, ['off', 'reject', 'redirect'], 'off'), exemptPaths };
}

/** Validates `headers` once at boot and precomputes every header string. @internal */
export function resolveHeadersOptions(value: unknown, _ctx: ResolveContext, path = 'headers'): ResolvedHeadersOptions {
  const raw = readStrictSection(value, KEYS, path);
  const pairs: Array<[string, string | undefined]> = [
    ['cache-control', readHeaderValue(raw, 'cacheControl', path, 'no-store')],
    [
      'content-security-policy',
      readHeaderValue(raw, 'contentSecurityPolicy', path, "default-src 'none'; frame-ancestors 'none'"),
    ],
    ['strict-transport-security', resolveHsts(raw.hsts, join(path, 'hsts'))],
    ['x-content-type-options', readBoolean(raw, 'noSniff', path, true) ? 'nosniff' : undefined],
    [
      'x-frame-options',
      raw.frameOptions === false ? undefined : readEnum(raw, 'frameOptions', path, ['DENY', 'SAMEORIGIN'], 'DENY'),
    ],
    ['referrer-policy', readHeaderValue(raw, 'referrerPolicy', path, 'no-referrer')],
    ['permissions-policy', readHeaderValue(raw, 'permissionsPolicy', path, DENY_ALL_PERMISSIONS_POLICY)],
    ['cross-origin-opener-policy', readHeaderValue(raw, 'crossOriginOpenerPolicy', path, 'same-origin')],
    ['cross-origin-resource-policy', readHeaderValue(raw, 'crossOriginResourcePolicy', path, 'same-origin')],
    ['x-permitted-cross-domain-policies', readHeaderValue(raw, 'permittedCrossDomainPolicies', path, 'none')],
  ];
  const set = new Map<string, string>();
  for (const [name, v] of pairs) if (v !== undefined) set.set(name, v);
  for (const [name, v] of resolveCustom(raw.custom, join(path, 'custom'))) set.set(name, v);
  const remove = readStringArray(raw, 'remove', path, ['X-Powered-By', 'Server']).map((h, i) => {
    checkHeader(h, '', `${path}.remove[${i}]`);
    return h.toLowerCase();
  });
  return {
    enabled: readBoolean(raw, 'enabled', path, true),
    set: [...set.entries()],
    remove,
    https: resolveHttps(raw.https, join(path, 'https')),
  };
}
