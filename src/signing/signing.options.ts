import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolveContext, FeatureOptions } from '../core/options/core.options';
import {
  describe,
  join,
  readBoolean,
  readNumber,
  readSection,
  readStrictSection,
  readStringArray,
  optionKeys,
} from '../core/options/validate.util';

/**
 * Inbound webhook verification defaults (`@VerifyWebhook()`); the secret is given per route.
 *
 * @publicApi
 */
export interface WebhookOptions {
  /**
   * Accepted clock difference for schemes with a timestamp (Standard Webhooks, Stripe), in both
   * directions.
   * @default 300
   */
  toleranceSeconds?: number;
  /**
   * How long a GitHub delivery id (`X-GitHub-Delivery`) is remembered to refuse replays. GitHub's
   * signature has no timestamp, so only this store stops an old delivery from being replayed.
   * Timestamped schemes remember ids for twice the tolerance.
   * @default 86400
   */
  replayTtlSeconds?: number;
}

/**
 * HMAC-SHA256 request signing (`@Signed()` routes and `paths`) and webhook verification.
 *
 * @publicApi
 */
export interface SigningOptions {
  /**
   * Turns signature and webhook verification on or off. Off makes the guard a no-op: `@Signed()`
   * and `@VerifyWebhook()` routes are then NOT verified.
   * @default true
   */
  enabled?: boolean;
  /**
   * Active secrets by key id (`X-Key-Id`). Keep the old and the new key side by side while
   * clients rotate. Secrets must be at least 32 characters.
   * @default {}
   */
  keys?: Record<string, string>;
  /**
   * Accepted difference between `X-Timestamp` and the server clock, in both directions.
   * @default 300
   */
  toleranceSeconds?: number;
  /**
   * Request headers covered by the signature besides the fixed parts (lower-cased; an absent
   * header is signed as empty).
   * @default ['content-type']
   */
  signedHeaders?: string[];
  /**
   * Path prefixes where every route requires a signature, as if marked `@Signed()`
   * (`@Signed(false)` opts a route out). Matched against the route pattern the router matched
   * (including any global prefix), so case or percent-encoding tricks cannot bypass it.
   * @default []
   */
  paths?: string[];
  /** Webhook verification defaults. */
  webhooks?: WebhookOptions;
}

/** @internal */
export interface ResolvedSigningOptions {
  enabled: boolean;
  /** Key id → secret bytes. */
  keys: ReadonlyMap<string, Buffer>;
  toleranceSeconds: number;
  signedHeaders: readonly string[];
  paths: readonly string[];
  /** Nonces are kept this long (ms): every timestamp still inside the window is covered. */
  nonceTtlMs: number;
  webhooks: { toleranceSeconds: number; replayTtlSeconds: number };
}

const KEYS = optionKeys<SigningOptions>()([
  'enabled',
  'keys',
  'toleranceSeconds',
  'signedHeaders',
  'paths',
  'webhooks',
]);
const WEBHOOK_KEYS = optionKeys<WebhookOptions>()(['toleranceSeconds', 'replayTtlSeconds']);
const KEY_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const HEADER = /^[a-z0-9-]+$/;
/** Headers that are part of the signing protocol itself, never "signed headers". */
const PROTOCOL = new Set(['x-signature', 'x-timestamp', 'x-key-id', 'x-nonce']);

function resolveKeys(value: unknown, path: string): Map<string, Buffer> {
  const raw = readSection(value, path);
  const keys = new Map<string, Buffer>();
  for (const [id, secret] of Object.entries(raw)) {
    const where = join(path, id);
    if (!KEY_ID.test(id)) {
      throw SecurityConfigError.create(
        where,
        'is not a valid key id',
        'Use 1-64 letters, digits, ".", "_", ":" or "-"',
      );
    }
    if (typeof secret !== 'string') {
      throw SecurityConfigError.create(where, `must be a string secret, got ${describe(secret)}`, 'Use a string');
    }
    if (secret.length < 32) {
      // Never print the secret itself, only its length.
      throw SecurityConfigError.create(
        where,
        `is too short (${secret.length} characters) for HMAC-SHA256`,
        'Use at least 32 random characters, e.g. `openssl rand -base64 32`',
      );
    }
    keys.set(id, Buffer.from(secret, 'utf8'));
  }
  return keys;
}

/** Validates `signing` once at boot and imports the key material. @internal */
export function resolveSigningOptions(value: unknown, _ctx: ResolveContext, path = 'signing'): ResolvedSigningOptions {
  const raw = readStrictSection(value, KEYS, path);
  const keys = resolveKeys(raw.keys, join(path, 'keys'));
  const toleranceSeconds = readNumber(raw, 'toleranceSeconds', path, 300, {
    min: 1,
    max: 3600,
    integer: true,
    unit: 'seconds',
  });
  const signedHeaders = readStringArray(raw, 'signedHeaders', path, ['content-type']).map((h, i) => {
    const name = h.toLowerCase();
    if (!HEADER.test(name) || PROTOCOL.has(name)) {
      throw SecurityConfigError.create(
        `${path}.signedHeaders[${i}]`,
        `"${h}" cannot be a signed header`,
        'Use ordinary header names; X-Signature, X-Timestamp, X-Key-Id and X-Nonce are always covered',
      );
    }
    return name;
  });
  const paths = readStringArray(raw, 'paths', path, []);
  paths.forEach((p, i) => {
    if (!p.startsWith('/')) {
      throw SecurityConfigError.create(`${path}.paths[${i}]`, `"${p}" must start with "/"`, 'Use e.g. "/internal/"');
    }
  });
  if (paths.length > 0 && keys.size === 0) {
    throw SecurityConfigError.create(
      join(path, 'paths'),
      'requires signatures but signing.keys is empty, so every request there would be refused',
      'Add at least one key to signing.keys',
    );
  }
  const webhooks = readStrictSection(raw.webhooks, WEBHOOK_KEYS, join(path, 'webhooks'));
  return {
    enabled: readBoolean(raw, 'enabled', path, true),
    keys,
    toleranceSeconds,
    signedHeaders,
    paths,
    nonceTtlMs: toleranceSeconds * 2 * 1000,
    webhooks: {
      toleranceSeconds: readNumber(webhooks, 'toleranceSeconds', join(path, 'webhooks'), 300, {
        min: 1,
        max: 3600,
        integer: true,
        unit: 'seconds',
      }),
      replayTtlSeconds: readNumber(webhooks, 'replayTtlSeconds', join(path, 'webhooks'), 86_400, {
        min: 60,
        max: 30 * 86_400,
        integer: true,
        unit: 'seconds',
      }),
    },
  };
}

/** The injected options signing's services read. @internal */
export type SigningFeatureOptions = FeatureOptions<{ signing: ResolvedSigningOptions }>;
