import type { CorsPolicyOptions, OriginRule, ResolvedCorsOptions } from './cors.options';
import { CORS_DEFAULTS, MAX_AGE_CAP, resolveCorsOptions } from './cors.options';
import type { SecurityProfile } from '../core/options/core.options';

/** Extra choices for {@link generateCorsPolicy}. @publicApi */
export interface GenerateCorsPolicyOptions {
  /**
   * Whether browsers may send cookies / HTTP auth. Refused with `*`.
   * @default false
   */
  credentials?: boolean;
  /**
   * Preflight cache lifetime; defaults per environment (development 5 s so changes show at once,
   * staging and production 600 s).
   */
  maxAge?: number;
  /** @default CORS defaults */
  methods?: string[];
  /** @default CORS defaults */
  allowedHeaders?: string[];
  /** @default CORS defaults (RateLimit headers and X-Request-ID) */
  exposedHeaders?: string[];
}

/**
 * A validated CORS policy for one environment: the options to paste into
 * `SecurityModule.forRoot({ cors })`, and a plain-language explanation of what it allows.
 *
 * @publicApi
 */
export interface CorsPolicyReport {
  environment: SecurityProfile;
  /** The `cors` options (for `cors.environments[environment]` or the base policy). */
  options: CorsPolicyOptions;
  /** One sentence per decision the policy makes. */
  explanation: string[];
}

/** Origins a local front-end dev server usually runs on. @internal */
export const DEVELOPMENT_ORIGINS = [
  'http://localhost:3000',
  'http://localhost:4200',
  'http://localhost:5173',
  'http://127.0.0.1:5173',
];

const DEFAULT_MAX_AGE: Record<SecurityProfile, number> = { development: 5, staging: 600, production: 600 };

/**
 * Builds, validates and explains the CORS policy for an environment. Throws the same
 * `SecurityConfigError` the module would throw at boot for a dangerous policy (`*` with
 * credentials, `null`, http origins in production, unanchored RegExps, max-age above browser caps).
 * With no origins, development gets the usual local dev-server origins; other environments get none.
 *
 * @example
 * ```ts
 * const report = generateCorsPolicy('production', ['https://app.example.com', 'https://*.example.com']);
 * console.log(report.explanation.join('\n'));
 * SecurityModule.forRoot({ cors: { environments: { production: report.options } } });
 * ```
 * @publicApi
 */
export function generateCorsPolicy(
  environment: SecurityProfile,
  origins: ReadonlyArray<string | RegExp>,
  choices: GenerateCorsPolicyOptions = {},
): CorsPolicyReport {
  const list = origins.length === 0 && environment === 'development' ? DEVELOPMENT_ORIGINS : [...origins];
  const options: CorsPolicyOptions = {
    origins: list,
    methods: choices.methods ?? [...CORS_DEFAULTS.methods],
    allowedHeaders: choices.allowedHeaders ?? [...CORS_DEFAULTS.allowedHeaders],
    exposedHeaders: choices.exposedHeaders ?? [...CORS_DEFAULTS.exposedHeaders],
    credentials: choices.credentials ?? false,
    maxAge: choices.maxAge ?? DEFAULT_MAX_AGE[environment],
  };
  const resolved = resolveCorsOptions(options, { profile: environment, isTrustedProxy: () => false });
  return { environment, options, explanation: explainCorsPolicy(resolved) };
}

function explainRule(rule: OriginRule): string {
  switch (rule.kind) {
    case 'exact':
      return `${rule.origin}: exact match only (same scheme, host and port).`;
    case 'subdomain': {
      const host = rule.pattern.replace(/^https?:\/\/\*\./, '');
      return `${rule.pattern}: any subdomain of ${host.split(':')[0]} (any depth) on the same scheme and port; not ${host.split(':')[0]} itself, and never look-alikes such as evil-${host.split(':')[0]} or ${host.split(':')[0]}.evil.com.`;
    }
    case 'regexp':
      return `${rule.pattern}: anchored regular expression (checked at boot); prefer exact origins or a https://*.domain pattern.`;
    default: {
      const never: never = rule;
      return String(never);
    }
  }
}

/**
 * Explains a resolved CORS policy in plain sentences (what is allowed, what is refused, why).
 *
 * @internal
 */
export function explainCorsPolicy(policy: ResolvedCorsOptions): string[] {
  const lines: string[] = [`Environment: ${policy.profile}.`];
  if (policy.anyOrigin) {
    lines.push('Origins: * (any site may read responses, without cookies or HTTP auth): only for public data.');
  } else if (policy.rules.length === 0) {
    lines.push(
      'Origins: none. Browsers will block every cross-origin read; same-origin and server-to-server calls work.',
    );
  } else {
    lines.push('Origins allowed:', ...policy.rules.map((r) => `  - ${explainRule(r)}`));
  }
  lines.push(
    `Methods allowed in preflights: ${policy.headers.allowMethods}.`,
    `Request headers allowed: ${policy.headers.allowHeaders || 'only CORS-safelisted ones'} (never reflected from the request).`,
    `Response headers scripts may read: ${policy.headers.exposeHeaders || 'only CORS-safelisted ones'}.`,
    policy.credentials
      ? 'Credentials: allowed (cookies and HTTP auth are sent; only the listed origins can read the responses).'
      : 'Credentials: not allowed (browsers send no cookies or HTTP auth cross-origin).',
    `Preflight cache: ${policy.maxAge} s${policy.maxAge > MAX_AGE_CAP.chromium ? ` (Chromium uses at most ${MAX_AGE_CAP.chromium} s)` : ''}.`,
    'Every response carries Vary: Origin, so shared caches never serve one origin’s answer to another.',
    'A preflight from an origin, method or header not listed gets 403 with no CORS headers; a simple request from an unlisted origin is processed but gets no Access-Control-Allow-Origin, so the browser hides the response. Each refusal emits a CORS_REJECTED event.',
    'CORS is not access control: non-browser clients ignore it. Keep authentication on every route.',
  );
  if (policy.profile === 'production') lines.push('Plain-http origins are refused in production.');
  return lines;
}
