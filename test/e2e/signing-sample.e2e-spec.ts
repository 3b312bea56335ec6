import type { INestApplication } from '@nestjs/common';
import { signRequest, signWebhook } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { webhookSecret } from '../../sample-app/src/edge/edge.options';
import { ADAPTERS, bootApp } from '../utils/app';

const KEY = { keyId: 'partner-1', secret: 'sample-partner-secret-0123456789abcdef' };
const STRIPE = 'whsec_sample_e2e_stripe_secret';

describe.each(ADAPTERS)('sample app: signed partner API, webhooks and deprecation (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const saved = { keys: process.env.SIGNING_KEYS, stripe: process.env.STRIPE_WEBHOOK_SECRET };

  beforeAll(async () => {
    process.env.SIGNING_KEYS = `${KEY.keyId}=${KEY.secret}`;
    process.env.STRIPE_WEBHOOK_SECRET = STRIPE;
    ({ app, url } = await bootApp(adapter, AppModule));
  });
  afterAll(async () => {
    await app.close();
    for (const [k, v] of [
      ['SIGNING_KEYS', saved.keys],
      ['STRIPE_WEBHOOK_SECRET', saved.stripe],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('accepts a signed transfer and refuses a tampered one', async () => {
    const body = JSON.stringify({ to: 'acct_42', amount: 100 });
    const headers = { 'content-type': 'application/json' };
    const signed = signRequest({ method: 'POST', url: '/partner/transfers', body, headers, ...KEY });
    const ok = await fetch(`${url}/partner/transfers`, { method: 'POST', body, headers: { ...headers, ...signed } });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ accepted: true, to: 'acct_42', amount: 100 });
    const tampered = await fetch(`${url}/partner/transfers`, {
      method: 'POST',
      body: body.replace('100', '100000'),
      headers: { ...headers, ...signRequest({ method: 'POST', url: '/partner/transfers', body, headers, ...KEY }) },
    });
    expect(tampered.status).toBe(401);
  });

  it('validates a correctly signed body like any other (a signature is not a licence to mass-assign)', async () => {
    const body = JSON.stringify({ to: 'acct_42', amount: 100, fee: 0 });
    const headers = { 'content-type': 'application/json' };
    const signed = signRequest({ method: 'POST', url: '/partner/transfers', body, headers, ...KEY });
    const res = await fetch(`${url}/partner/transfers`, { method: 'POST', body, headers: { ...headers, ...signed } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ property: string }> }).errors[0].property).toBe('fee');
  });

  it('requires a signature under /partner/internal/', async () => {
    expect((await fetch(`${url}/partner/internal/status`)).status).toBe(401);
    const signed = signRequest({ method: 'GET', url: '/partner/internal/status', ...KEY });
    expect((await fetch(`${url}/partner/internal/status`, { headers: signed })).status).toBe(200);
  });

  it('verifies the Stripe webhook with the secret from the environment', async () => {
    const body = JSON.stringify({ id: `evt_sample_${adapter}_${Date.now()}`, type: 'invoice.paid' });
    const headers = { 'content-type': 'application/json', ...signWebhook('stripe', { secret: STRIPE, body }) };
    const res = await fetch(`${url}/webhooks/stripe`, { method: 'POST', body, headers });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ received: 'invoice.paid' });
    expect((await fetch(`${url}/webhooks/stripe`, { method: 'POST', body, headers })).status).toBe(401);
  });

  it('marks the v1 balance route deprecated', async () => {
    const res = await fetch(`${url}/partner/v1/balance`);
    expect(res.status).toBe(200);
    expect(res.headers.get('deprecation')).toBe(`@${Date.parse('2026-01-01T00:00:00Z') / 1000}`);
    expect(res.headers.get('sunset')).toBe('Wed, 30 Jun 2027 00:00:00 GMT');
  });
});

describe('sample webhook secrets', () => {
  const saved = { env: process.env.NODE_ENV, secret: process.env.SAMPLE_TEST_WEBHOOK_SECRET };
  afterAll(() => {
    process.env.NODE_ENV = saved.env;
    if (saved.secret === undefined) delete process.env.SAMPLE_TEST_WEBHOOK_SECRET;
    else process.env.SAMPLE_TEST_WEBHOOK_SECRET = saved.secret;
  });

  it.each([
    ['test', 'published-example'],
    ['development', 'published-example'],
    ['staging', ''],
    ['production', ''],
  ])('falls back to the published example only locally (NODE_ENV=%s)', (env, expected) => {
    delete process.env.SAMPLE_TEST_WEBHOOK_SECRET;
    process.env.NODE_ENV = env;
    expect(webhookSecret('SAMPLE_TEST_WEBHOOK_SECRET', 'published-example')()).toBe(expected);
    process.env.SAMPLE_TEST_WEBHOOK_SECRET = 'from-the-environment';
    expect(webhookSecret('SAMPLE_TEST_WEBHOOK_SECRET', 'published-example')()).toBe('from-the-environment');
  });
});
