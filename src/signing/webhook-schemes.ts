import { createHmac, timingSafeEqual } from 'node:crypto';
import { SecurityConfigError } from '../core/errors/security-config.error';

/** Inbound webhook signature formats understood by `@VerifyWebhook()`. @publicApi */
export type WebhookScheme = 'standard' | 'stripe' | 'github';

/** The request parts a scheme looks at. @internal */
export interface WebhookInput {
  header(name: string): string | undefined;
  rawBody: Buffer;
  /** Parsed body (Stripe's event id). */
  body: unknown;
}

/** Outcome of a verification. @internal */
export type WebhookVerdict =
  | { ok: true; replayId: string; /** seconds the id must be remembered, 0: use the scheme default */ ttl: number }
  | { ok: false; reason: string };

/** A compiled scheme with its secrets decoded once. @internal */
export interface CompiledWebhook {
  scheme: WebhookScheme;
  verify(input: WebhookInput, nowSeconds: number, toleranceSeconds: number): WebhookVerdict;
}

const DIGITS = /^\d{1,12}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const ID = /^[A-Za-z0-9_:-]{1,256}$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkTime(ts: string | undefined, now: number, tolerance: number): string | undefined {
  if (ts === undefined || !DIGITS.test(ts)) return 'timestamp_missing';
  const t = Number(ts);
  if (now - t > tolerance) return 'timestamp_too_old';
  if (t - now > tolerance) return 'timestamp_in_future';
  return undefined;
}

/** Standard Webhooks secret: `whsec_` + base64 (the prefix is optional, as in the reference library). */
function decodeStandardSecret(secret: string, where: string): Buffer {
  const b64 = secret.startsWith('whsec_') ? secret.slice(6) : secret;
  const bytes = B64.test(b64) ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
  if (bytes.length < 16) {
    throw SecurityConfigError.create(
      where,
      'is not a Standard Webhooks secret (whsec_ followed by at least 16 base64-encoded bytes)',
      'Copy the secret exactly as the sender shows it',
    );
  }
  return bytes;
}

function standard(secrets: Buffer[]): CompiledWebhook {
  return {
    scheme: 'standard',
    verify(input, now, tolerance) {
      // Svix (the scheme's originator; used by Clerk, Resend...) sends the same values as svix-*.
      const id = input.header('webhook-id') ?? input.header('svix-id');
      const ts = input.header('webhook-timestamp') ?? input.header('svix-timestamp');
      const header = input.header('webhook-signature') ?? input.header('svix-signature');
      if (!id || !header) return { ok: false, reason: 'signature_missing' };
      if (!ID.test(id)) return { ok: false, reason: 'webhook_id_malformed' };
      const timeProblem = checkTime(ts, now, tolerance);
      if (timeProblem) return { ok: false, reason: timeProblem };
      const prefix = Buffer.from(`${id}.${ts}.`);
      const expected = secrets.map((s) => createHmac('sha256', s).update(prefix).update(input.rawBody).digest());
      for (const item of header.split(' ')) {
        const comma = item.indexOf(',');
        if (comma === -1 || item.slice(0, comma) !== 'v1') continue;
        const given = Buffer.from(item.slice(comma + 1), 'base64');
        if (expected.some((e) => safeEqual(e, given))) return { ok: true, replayId: `standard:${id}`, ttl: 0 };
      }
      return { ok: false, reason: 'signature_mismatch' };
    },
  };
}

function stripe(secrets: Buffer[]): CompiledWebhook {
  return {
    scheme: 'stripe',
    verify(input, now, tolerance) {
      const header = input.header('stripe-signature');
      if (!header) return { ok: false, reason: 'signature_missing' };
      let t: string | undefined;
      const v1: Buffer[] = [];
      for (const item of header.split(',')) {
        const eq = item.indexOf('=');
        const key = item.slice(0, eq).trim();
        const value = item.slice(eq + 1).trim();
        if (key === 't') t = value;
        else if (key === 'v1' && HEX64.test(value)) v1.push(Buffer.from(value, 'hex'));
      }
      const timeProblem = checkTime(t, now, tolerance);
      if (timeProblem) return { ok: false, reason: timeProblem };
      if (v1.length === 0) return { ok: false, reason: 'signature_missing' };
      const prefix = Buffer.from(`${t}.`);
      for (const secret of secrets) {
        const expected = createHmac('sha256', secret).update(prefix).update(input.rawBody).digest();
        if (v1.some((given) => safeEqual(expected, given))) {
          // The event id is inside the signed body; without one, the signature that matched (not
          // whichever v1 came first, which the sender of a replay could vary) identifies the event.
          const eventId = (input.body as { id?: unknown } | undefined)?.id;
          const replayId = typeof eventId === 'string' && ID.test(eventId) ? eventId : expected.toString('hex');
          return { ok: true, replayId: `stripe:${replayId}`, ttl: 0 };
        }
      }
      return { ok: false, reason: 'signature_mismatch' };
    },
  };
}

function github(secrets: Buffer[], replayTtl: number): CompiledWebhook {
  return {
    scheme: 'github',
    verify(input) {
      const header = input.header('x-hub-signature-256');
      if (!header) return { ok: false, reason: 'signature_missing' };
      const hex = header.startsWith('sha256=') ? header.slice(7) : '';
      if (!HEX64.test(hex)) return { ok: false, reason: 'signature_malformed' };
      const given = Buffer.from(hex, 'hex');
      for (const secret of secrets) {
        if (safeEqual(createHmac('sha256', secret).update(input.rawBody).digest(), given)) {
          // GitHub signs the body only: X-GitHub-Delivery is not covered, so a replay could carry
          // a fresh one. The replay key is the signature, i.e. the exact signed body.
          return { ok: true, replayId: `github:${hex}`, ttl: replayTtl };
        }
      }
      return { ok: false, reason: 'signature_mismatch' };
    },
  };
}

/**
 * Decodes the secrets of a scheme once and returns its verifier. Throws a `SecurityConfigError`
 * for a missing or malformed secret.
 *
 * @internal
 */
export function compileWebhook(
  scheme: WebhookScheme,
  secret: string | readonly string[],
  replayTtlSeconds: number,
  where: string,
): CompiledWebhook {
  const list = typeof secret === 'string' ? [secret] : [...secret];
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw SecurityConfigError.create(
      `${where} secret`,
      'is missing or empty',
      'Pass the endpoint secret (e.g. from process.env), or a list of them during rotation',
    );
  }
  switch (scheme) {
    case 'standard':
      return standard(list.map((s, i) => decodeStandardSecret(s, `${where} secret[${i}]`)));
    case 'stripe':
      return stripe(list.map((s) => Buffer.from(s, 'utf8')));
    case 'github':
      return github(
        list.map((s) => Buffer.from(s, 'utf8')),
        replayTtlSeconds,
      );
    default: {
      const never: never = scheme;
      throw SecurityConfigError.create(
        where,
        `has unknown scheme "${String(never)}"`,
        'Use standard, stripe or github',
      );
    }
  }
}

/** What {@link signWebhook} needs. @publicApi */
export interface SignWebhookInput {
  /** Raw body exactly as sent. */
  body: string | Buffer;
  secret: string;
  /** Unix seconds (Standard Webhooks, Stripe). @default now */
  timestamp?: number;
  /** `webhook-id` (Standard Webhooks). @default a random `msg_…` id */
  id?: string;
}

/**
 * Produces the signature headers a sender of `scheme` would send, for tests and for outbound
 * webhooks: `webhook-id` / `webhook-timestamp` / `webhook-signature` (standard),
 * `Stripe-Signature` (stripe) or `X-Hub-Signature-256` (github).
 *
 * @publicApi
 */
export function signWebhook(scheme: WebhookScheme, input: SignWebhookInput): Record<string, string> {
  const body = typeof input.body === 'string' ? Buffer.from(input.body) : input.body;
  const ts = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  switch (scheme) {
    case 'standard': {
      const id = input.id ?? `msg_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
      const key = decodeStandardSecret(input.secret, 'signWebhook');
      const sig = createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64');
      return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` };
    }
    case 'stripe': {
      const sig = createHmac('sha256', input.secret).update(`${ts}.`).update(body).digest('hex');
      return { 'Stripe-Signature': `t=${ts},v1=${sig}` };
    }
    case 'github':
      return { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', input.secret).update(body).digest('hex')}` };
    default: {
      const never: never = scheme;
      throw new Error(`Unknown webhook scheme ${String(never)}`);
    }
  }
}
