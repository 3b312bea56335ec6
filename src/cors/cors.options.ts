import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolveContext, SecurityProfile } from '../core/options/core.options';
import {
  describe,
  join,
  readBoolean,
  readNumber,
  readSection,
  readStrictSection,
  readStringArray,
  type Raw,
  optionKeys,
} from '../core/options/validate.util';

/**
 * The part of a CORS policy that may differ per environment.
 *
 * @publicApi
 */
export interface CorsPolicyOptions {
  /**
   * Allowed origins, matched exactly on scheme, host and port: `https://app.example.com`,
   * `http://localhost:5173`. Subdomain patterns `https://*.example.com` (any depth, never the
   * apex), `*` alone (public, credential-less APIs) and anchored RegExps (`/^https:\/\/pr-\d+\.example\.com$/`)
   * are accepted. `null`, paths, trailing slashes and default ports are refused at boot.
   * @default [] (no cross-origin access)
   */
  origins?: Array<string | RegExp>;
  /**
   * Methods allowed in preflights.
   * @default ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']
   */
  methods?: string[];
  /**
   * Request headers allowed in preflights (never reflected from the request).
   * @default ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-ID']
   */
  allowedHeaders?: string[];
  /**
   * Response headers scripts may read.
   * @default ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-ID']
   */
  exposedHeaders?: string[];
  /**
   * Sends `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Refused with `*`.
   * @default false
   */
  credentials?: boolean;
  /**
   * Preflight cache lifetime in seconds (`Access-Control-Max-Age`). Chromium caps it at 7200,
   * Firefox at 86400; values above 86400 are refused.
   * @default 600
   */
  maxAge?: number;
}

/**
 * CORS policy: a base policy plus per-environment overrides, selected by `profile`. Validated at
 * boot (see {@link CorsPolicyOptions}); a preflight from a disallowed origin gets 403, a simple
 * request from one gets no `Access-Control-Allow-Origin`, and `Vary: Origin` is always sent.
 *
 * @publicApi
 */
export interface CorsOptions extends CorsPolicyOptions {
  /**
   * Turns CORS handling on or off. Off: no CORS headers are ever sent (browsers block every
   * cross-origin read).
   * @default true
   */
  enabled?: boolean;
  /**
   * Overrides per environment profile, merged over the base policy (each given key replaces
   * the base value).
   * @default {}
   */
  environments?: Partial<Record<SecurityProfile, CorsPolicyOptions>>;
}

/** A compiled origin rule. @internal */
export type OriginRule =
  | { kind: 'exact'; origin: string }
  | { kind: 'subdomain'; pattern: string; test: RegExp }
  | { kind: 'regexp'; pattern: string; test: RegExp };

/** @internal */
export interface ResolvedCorsOptions {
  enabled: boolean;
  profile: SecurityProfile;
  /** `*`: any origin, without credentials. */
  anyOrigin: boolean;
  /** Exact origins, for O(1) lookup. */
  exact: ReadonlySet<string>;
  /** Subdomain patterns and RegExps, tried in order after the exact set. */
  patterns: readonly OriginRule[];
  /** Every origin rule, in the order given (for explanations). */
  rules: readonly OriginRule[];
  methods: readonly string[];
  allowedHeaders: readonly string[];
  /** Lower-cased allowed headers, for preflight checks. */
  allowedHeaderSet: ReadonlySet<string>;
  methodSet: ReadonlySet<string>;
  exposedHeaders: readonly string[];
  credentials: boolean;
  maxAge: number;
  /** Precomputed header values. */
  headers: { allowMethods: string; allowHeaders: string; exposeHeaders: string; maxAge: string };
}

const POLICY_KEYS = optionKeys<CorsPolicyOptions>()([
  'origins',
  'methods',
  'allowedHeaders',
  'exposedHeaders',
  'credentials',
  'maxAge',
]);
const CORS_KEYS = optionKeys<CorsOptions>()(['enabled', 'environments', ...POLICY_KEYS]);
const PROFILES: readonly SecurityProfile[] = ['development', 'staging', 'production'];

/** @internal */
export const CORS_DEFAULTS = {
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-ID'],
  exposedHeaders: ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-ID'],
  maxAge: 600,
} as const;

/** Browsers' preflight cache caps (seconds). @internal */
export const MAX_AGE_CAP = { chromium: 7200, firefox: 86400 } as const;

/**
 * Registrable suffixes where anyone can get a subdomain: `https://*.github.io` would trust every
 * GitHub Pages site. Not the full Public Suffix List, the hosting platforms people actually type.
 */
const SHARED_SUFFIXES = new Set([
  'github.io',
  'gitlab.io',
  'herokuapp.com',
  'vercel.app',
  'netlify.app',
  'pages.dev',
  'workers.dev',
  'web.app',
  'firebaseapp.com',
  'azurewebsites.net',
  'cloudfront.net',
  'amazonaws.com',
  'appspot.com',
  'onrender.com',
  'fly.dev',
  'ngrok.io',
  'ngrok-free.app',
  'co.uk',
  'com.au',
  'co.jp',
  'com.br',
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^(?:${LABEL})(?:\\.${LABEL})*$`);
const ORIGIN = /^(https?):\/\/([^/:?#]+)(?::(\d{1,5}))?$/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What an origin pattern's source has outside character classes: a `|` outside any group (so
 * `^a|b$` is not really anchored), and a `.` wildcard. In an origin pattern a wildcard dot is
 * nearly always a host dot someone forgot to escape: `^https://app.example.com$` also matches
 * `https://appxexample.com`, a domain anyone can register.
 */
function scanPattern(source: string): { topLevelAlternation: boolean; wildcardDot: boolean } {
  let depth = 0;
  let inClass = false;
  let topLevelAlternation = false;
  let wildcardDot = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) topLevelAlternation = true;
    else if (c === '.') wildcardDot = true;
  }
  return { topLevelAlternation, wildcardDot };
}

function compileRegExp(value: RegExp, where: string): OriginRule {
  const src = value.source;
  const scan = scanPattern(src);
  if (!src.startsWith('^') || !src.endsWith('$') || src.endsWith('\\$') || scan.topLevelAlternation) {
    throw SecurityConfigError.create(
      where,
      `RegExp ${String(value)} is not anchored at both ends: it would also match origins that merely contain the text`,
      'Start it with ^ and end it with $, wrap alternatives in a group (^https://(a|b)\\.example\\.com$), or use "https://*.example.com"',
    );
  }
  if (value.global || value.sticky) {
    throw SecurityConfigError.create(where, `RegExp ${String(value)} has the g or y flag`, 'Remove the flag');
  }
  if (scan.wildcardDot) {
    throw SecurityConfigError.create(
      where,
      `RegExp ${String(value)} has an unescaped "." (any character): it would also match look-alike hosts such as appxexample.com`,
      'Escape host dots as \\. and match labels with a class such as [a-z0-9-]+, or use "https://*.example.com"',
    );
  }
  return { kind: 'regexp', pattern: String(value), test: new RegExp(src, value.flags) };
}

function compileOrigin(entry: string, where: string, profile: SecurityProfile): OriginRule {
  if (entry === 'null') {
    throw SecurityConfigError.create(
      where,
      'is the "null" origin, which sandboxed iframes, file: pages and redirects all send: trusting it trusts anyone',
      'Remove it',
    );
  }
  const wildcard = entry.includes('://*.');
  const m = ORIGIN.exec(wildcard ? entry.replace('://*.', '://') : entry);
  const host = m?.[2];
  if (
    !m ||
    !host ||
    host !== host.toLowerCase() ||
    !HOSTNAME.test(host) ||
    entry.includes('*', wildcard ? entry.indexOf('*') + 1 : 0)
  ) {
    throw SecurityConfigError.create(
      where,
      `"${entry}" is not an origin`,
      'Use scheme://host[:port] in lower case, no path or trailing slash, e.g. "https://app.example.com" or "https://*.example.com"',
    );
  }
  const [, scheme, , port] = m;
  if (port !== undefined && ((scheme === 'https' && port === '443') || (scheme === 'http' && port === '80'))) {
    throw SecurityConfigError.create(
      where,
      `"${entry}" names the default port, which browsers never send in Origin`,
      `Use "${entry.slice(0, -(port.length + 1))}"`,
    );
  }
  if (scheme === 'http' && profile === 'production') {
    throw SecurityConfigError.create(
      where,
      `"${entry}" is a plain-http origin in production: a network attacker could read responses`,
      'Use an https:// origin, or move it to cors.environments.development',
    );
  }
  if (!wildcard) return { kind: 'exact', origin: entry };
  if (!host.includes('.') || SHARED_SUFFIXES.has(host)) {
    throw SecurityConfigError.create(
      where,
      `"${entry}" trusts every subdomain of "${host}", where anyone can register one`,
      'List your own origins, or use a subdomain pattern of a domain you control',
    );
  }
  const portPart = port === undefined ? '' : `:${port}`;
  const test = new RegExp(`^${scheme}://(?:${LABEL}\\.)+${escapeRegExp(host)}${escapeRegExp(portPart)}$`);
  return { kind: 'subdomain', pattern: entry, test };
}

function readOrigins(raw: Raw, path: string, profile: SecurityProfile): OriginRule[] | 'any' {
  const value = raw.origins;
  const where = join(path, 'origins');
  if (!Array.isArray(value)) {
    throw SecurityConfigError.create(
      where,
      `must be an array of origins, got ${describe(value)}`,
      'Use e.g. ["https://app.example.com"]',
    );
  }
  if (value.includes('*')) {
    if (value.length > 1) {
      throw SecurityConfigError.create(where, 'mixes "*" with other origins', 'Use either "*" alone or a list');
    }
    return 'any';
  }
  return value.map((entry: unknown, i) => {
    const at = `${where}[${i}]`;
    if (entry instanceof RegExp) return compileRegExp(entry, at);
    if (typeof entry !== 'string' || entry.length === 0) {
      throw SecurityConfigError.create(at, `must be a string or RegExp, got ${describe(entry)}`, 'Use an origin');
    }
    return compileOrigin(entry, at, profile);
  });
}

function readTokens(raw: Raw, key: string, path: string, fallback: readonly string[]): string[] {
  const list = readStringArray(raw, key, path, fallback);
  list.forEach((item, i) => {
    if (item === '*') {
      throw SecurityConfigError.create(
        `${join(path, key)}[${i}]`,
        'is "*", which browsers treat literally with credentials and never extend to Authorization',
        'List the names explicitly',
      );
    }
    if (!TOKEN.test(item)) {
      throw SecurityConfigError.create(`${join(path, key)}[${i}]`, `"${item}" is not a valid token`, 'Fix the name');
    }
  });
  return list;
}

/** Merges the base policy with the profile's environment override (keys replace, not concatenate). */
function mergePolicy(raw: Raw, profile: SecurityProfile, path: string): { policy: Raw; where: (k: string) => string } {
  const envs = readStrictSection(raw.environments, PROFILES, join(path, 'environments'));
  for (const p of PROFILES) readStrictSection(envs[p], POLICY_KEYS, join(path, `environments.${p}`));
  const override = readSection(envs[profile], join(path, `environments.${profile}`));
  const policy: Raw = { ...raw, ...override };
  const where = (k: string) => (k in override ? `${path}.environments.${profile}` : path);
  return { policy, where };
}

/**
 * Validates `cors` once at boot and compiles the policy of the active profile: origin rules,
 * lookup sets and every header value.
 *
 * @internal
 */
export function resolveCorsOptions(
  value: unknown,
  ctx: ResolveContext,
  path = 'cors',
  /** Headers other features send that scripts should read, added to the default exposed list. */
  alsoExposedByDefault: readonly string[] = [],
): ResolvedCorsOptions {
  const raw = readStrictSection(value, CORS_KEYS, path);
  const { policy, where } = mergePolicy(raw, ctx.profile, path);
  const credentials = readBoolean(policy, 'credentials', where('credentials'), false);
  const origins = policy.origins === undefined ? [] : readOrigins(policy, where('origins'), ctx.profile);
  if (origins === 'any' && credentials) {
    throw SecurityConfigError.create(
      join(where('origins'), 'origins'),
      'is "*" while credentials is true: browsers refuse that pair, and reflecting origins instead would let any site read authenticated responses',
      'List the trusted origins explicitly, or set credentials: false for a public API',
    );
  }
  const maxAge = readNumber(policy, 'maxAge', where('maxAge'), CORS_DEFAULTS.maxAge, {
    min: 0,
    max: MAX_AGE_CAP.firefox,
    integer: true,
    unit: 'seconds (browsers cap the preflight cache: Chromium 7200, Firefox 86400)',
  });
  const methods = readTokens(policy, 'methods', where('methods'), CORS_DEFAULTS.methods).map((m) => m.toUpperCase());
  const allowedHeaders = readTokens(policy, 'allowedHeaders', where('allowedHeaders'), CORS_DEFAULTS.allowedHeaders);
  const exposedHeaders = readTokens(policy, 'exposedHeaders', where('exposedHeaders'), [
    ...CORS_DEFAULTS.exposedHeaders,
    ...alsoExposedByDefault,
  ]);
  const rules = origins === 'any' ? [] : origins;
  return {
    enabled: readBoolean(raw, 'enabled', path, true),
    profile: ctx.profile,
    anyOrigin: origins === 'any',
    exact: new Set(rules.flatMap((r) => (r.kind === 'exact' ? [r.origin] : []))),
    patterns: rules.filter((r) => r.kind !== 'exact'),
    rules,
    methods,
    allowedHeaders,
    allowedHeaderSet: new Set(allowedHeaders.map((h) => h.toLowerCase())),
    methodSet: new Set(methods),
    exposedHeaders,
    credentials,
    maxAge,
    headers: {
      allowMethods: methods.join(', '),
      allowHeaders: allowedHeaders.join(', '),
      exposeHeaders: exposedHeaders.join(', '),
      maxAge: String(maxAge),
    },
  };
}
