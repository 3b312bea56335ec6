import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { CorsOptions, HeadersOptions, SigningOptions } from 'nestjs-rampart';

/** Local front-end dev servers, allowed in development when `CORS_ORIGINS` is unset. */
const DEV_ORIGINS = ['http://localhost:3000', 'http://localhost:5173', 'http://127.0.0.1:5173'];

function list(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

/**
 * CORS for the sample app: `CORS_ORIGINS` (comma-separated, e.g.
 * `https://app.example.com,https://*.preview.example.com`) in every environment; local dev
 * servers in development when it is unset; nothing in staging/production when it is unset.
 */
export function sampleCorsOptions(env: NodeJS.ProcessEnv): CorsOptions {
  const origins = list(env.CORS_ORIGINS);
  return {
    origins: origins ?? [],
    credentials: env.CORS_CREDENTIALS === 'true',
    environments: { development: { origins: origins ?? DEV_ORIGINS, maxAge: 5 } },
  };
}

/**
 * Security headers: the API preset; `HTTPS_MODE=reject|redirect` enforces HTTPS behind the
 * trusted proxy (loopback here), except for the health probe.
 */
export function sampleHeadersOptions(env: NodeJS.ProcessEnv): HeadersOptions {
  const mode = env.HTTPS_MODE === 'reject' || env.HTTPS_MODE === 'redirect' ? env.HTTPS_MODE : 'off';
  return { https: { mode, exemptPaths: ['/health'] } };
}

/**
 * Request signing: `SIGNING_KEYS="k1=<secret>,k2=<secret>"` (several during rotation). Unset: one
 * random key per start, so signed routes refuse everyone until keys are configured.
 */
export function sampleSigningOptions(env: NodeJS.ProcessEnv): SigningOptions {
  const keys: Record<string, string> = {};
  for (const pair of list(env.SIGNING_KEYS) ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0) keys[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (Object.keys(keys).length === 0) keys.unset = randomBytes(32).toString('base64url');
  return { keys, paths: ['/partner/internal/'] };
}

/** Where falling back to a published example secret is acceptable: a developer's machine or a test run. */
const LOCAL_ENVIRONMENTS = new Set([undefined, '', 'development', 'test']);

/**
 * A webhook secret from the environment. Locally (`NODE_ENV` unset, `development` or `test`) an
 * unset secret falls back to the scheme's published example value, with a warning: anyone can
 * sign with it. Anywhere else (`production`, `staging`...) it stays unset and the webhook route
 * fails closed.
 */
export function webhookSecret(name: string, devDefault: string): () => string {
  return () => {
    const value = process.env[name];
    if (value) return value;
    if (!LOCAL_ENVIRONMENTS.has(process.env.NODE_ENV)) return '';
    if (process.env.NODE_ENV !== 'test') {
      new Logger('SampleApp').warn(`${name} is not set: using a published example secret (local use only).`);
    }
    return devDefault;
  };
}
