import { createHmac } from 'node:crypto';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { compileWebhook, signWebhook, type WebhookInput } from './webhook-schemes';

function input(headers: Record<string, string>, body: string, parsed?: unknown): WebhookInput {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { header: (n) => lower[n], rawBody: Buffer.from(body), body: parsed };
}

describe('Standard Webhooks', () => {
  // The specification's published example (standard-webhooks/standard-webhooks, also svix docs).
  const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const TS = 1614265330;
  const BODY = '{"test": 2432232314}';
  const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  const verifier = compileWebhook('standard', SECRET, 60, 'test');
  const headers = { 'webhook-id': ID, 'webhook-timestamp': String(TS), 'webhook-signature': SIGNATURE };

  it('verifies the published example', () => {
    expect(verifier.verify(input(headers, BODY), TS, 300)).toEqual({ ok: true, replayId: `standard:${ID}`, ttl: 0 });
  });

  it('signs the published example identically', () => {
    expect(signWebhook('standard', { secret: SECRET, id: ID, timestamp: TS, body: BODY })).toEqual(headers);
  });

  it('accepts the svix-* header names Svix senders use', () => {
    const svix = { 'svix-id': ID, 'svix-timestamp': String(TS), 'svix-signature': SIGNATURE };
    expect(verifier.verify(input(svix, BODY), TS, 300).ok).toBe(true);
  });

  it('accepts any of several signatures (rotation) and any of several secrets', () => {
    const multi = { ...headers, 'webhook-signature': `v1,bm9wZQ== v1a,xyz ${SIGNATURE}` };
    expect(verifier.verify(input(multi, BODY), TS, 300).ok).toBe(true);
    const rotated = compileWebhook('standard', ['whsec_' + Buffer.alloc(24, 7).toString('base64'), SECRET], 60, 't');
    expect(rotated.verify(input(headers, BODY), TS, 300).ok).toBe(true);
  });

  it.each([
    ['a tampered body', headers, '{"test": 2432232315}', TS, 'signature_mismatch'],
    ['an old timestamp', headers, BODY, TS + 301, 'timestamp_too_old'],
    ['a future timestamp', headers, BODY, TS - 301, 'timestamp_in_future'],
    ['a v1a-only header', { ...headers, 'webhook-signature': 'v1a,abc' }, BODY, TS, 'signature_mismatch'],
    ['no signature', { 'webhook-id': ID, 'webhook-timestamp': String(TS) }, BODY, TS, 'signature_missing'],
  ])('refuses %s', (_n, h, body, now, reason) => {
    expect(verifier.verify(input(h as Record<string, string>, body), now, 300)).toEqual({ ok: false, reason });
  });

  it('refuses a secret that is not whsec_ + base64 at compile time', () => {
    expect(() => compileWebhook('standard', 'whsec_!!', 60, '@VerifyWebhook')).toThrow(SecurityConfigError);
  });
});

describe('GitHub', () => {
  // github/docs "Validating webhook deliveries" test values.
  const SECRET = "It's a Secret to Everybody";
  const BODY = 'Hello, World!';
  const SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
  const verifier = compileWebhook('github', SECRET, 86_400, 'test');

  it('verifies the published example and keys replays by the signature, not the unsigned delivery id', () => {
    const at = (delivery: string) =>
      verifier.verify(input({ 'X-Hub-Signature-256': SIGNATURE, 'X-GitHub-Delivery': delivery }, BODY), 0, 300);
    const verdict = at('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(verdict).toEqual({ ok: true, replayId: `github:${SIGNATURE.slice(7)}`, ttl: 86_400 });
    expect(at('a-fresh-delivery-id-chosen-by-a-replayer')).toEqual(verdict);
  });

  it('signs the published example identically', () => {
    expect(signWebhook('github', { secret: SECRET, body: BODY })).toEqual({ 'X-Hub-Signature-256': SIGNATURE });
  });

  it.each([
    ['a tampered body', { 'X-Hub-Signature-256': SIGNATURE }, 'Hello, World?', 'signature_mismatch'],
    ['a sha1 header only', { 'X-Hub-Signature': 'sha1=abc' }, BODY, 'signature_missing'],
    ['a malformed header', { 'X-Hub-Signature-256': 'sha256=zz' }, BODY, 'signature_malformed'],
  ])('refuses %s', (_n, h, body, reason) => {
    expect(verifier.verify(input(h, body), 0, 300)).toEqual({ ok: false, reason });
  });
});

describe('Stripe', () => {
  // stripe-node `Webhooks.ts`: v1 = hex HMAC-SHA256 of `${t}.${rawBody}` keyed by the whsec_ string
  // as-is. Stripe publishes no fixed vector; this one was computed with node:crypto from that rule.
  const SECRET = 'whsec_test_secret';
  const T = 1614265330;
  const BODY = '{"id":"evt_test_webhook","object":"event"}';
  const V1 = '3c5817089d739023dd6190f70a3757e04f7a2fd8b5dab12c2e000f51970dccff';
  const verifier = compileWebhook('stripe', SECRET, 60, 'test');

  it('matches the rule of the reference library', () => {
    expect(createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex')).toBe(V1);
    expect(signWebhook('stripe', { secret: SECRET, timestamp: T, body: BODY })).toEqual({
      'Stripe-Signature': `t=${T},v1=${V1}`,
    });
  });

  it('verifies, ignores other schemes, accepts any v1 and keys replays by event id', () => {
    const header = `t=${T},v0=${'0'.repeat(64)},v1=${'1'.repeat(64)},v1=${V1}`;
    expect(verifier.verify(input({ 'Stripe-Signature': header }, BODY, JSON.parse(BODY)), T + 10, 300)).toEqual({
      ok: true,
      replayId: 'stripe:evt_test_webhook',
      ttl: 0,
    });
  });

  it('keys a body without an event id by the signature that matched, whatever junk v1 comes first', () => {
    const at = (header: string) => verifier.verify(input({ 'Stripe-Signature': header }, BODY, undefined), T, 300);
    const first = at(`t=${T},v1=${'1'.repeat(64)},v1=${V1}`);
    const second = at(`t=${T},v1=${'2'.repeat(64)},v1=${V1}`);
    expect(first).toEqual({ ok: true, replayId: `stripe:${V1}`, ttl: 0 });
    expect(second).toEqual(first);
  });

  it.each([
    ['a tampered body', `t=${T},v1=${V1}`, BODY.replace('event', 'evnt'), T, 'signature_mismatch'],
    ['an old timestamp', `t=${T},v1=${V1}`, BODY, T + 301, 'timestamp_too_old'],
    [
      'a future timestamp (checked both ways, unlike the reference library)',
      `t=${T},v1=${V1}`,
      BODY,
      T - 301,
      'timestamp_in_future',
    ],
    ['no v1', `t=${T}`, BODY, T, 'signature_missing'],
    ['no timestamp', `v1=${V1}`, BODY, T, 'timestamp_missing'],
  ])('refuses %s', (_n, header, body, now, reason) => {
    expect(verifier.verify(input({ 'Stripe-Signature': header }, body), now, 300)).toEqual({ ok: false, reason });
  });
});

it('refuses an empty secret', () => {
  expect(() => compileWebhook('github', '', 60, '@VerifyWebhook')).toThrow(/secret is missing or empty/);
  expect(() => compileWebhook('stripe', [], 60, '@VerifyWebhook')).toThrow(/secret is missing or empty/);
});
