import { Body, Controller, HttpCode, Module, Post, type DynamicModule } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Public, SecurityModule, VerifyWebhook, signWebhook, type SecurityEvent } from 'nestjs-rampart';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ADAPTERS, bootApp } from '../utils/app';
import { createTestRedisStorage, REDIS_TARGETS } from '../utils/redis';

const STANDARD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const STANDARD_OLD = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
const STRIPE_SECRET = 'whsec_stripe_endpoint_secret_for_tests';
// github/docs "Validating webhook deliveries" example secret and payload.
const GITHUB_SECRET = "It's a Secret to Everybody";

@Public()
@Controller('webhooks')
class WebhooksController {
  @VerifyWebhook('standard', { secret: [STANDARD_SECRET, STANDARD_OLD] })
  @Post('standard')
  @HttpCode(204)
  standard() {}

  @VerifyWebhook('stripe', { secret: () => STRIPE_SECRET })
  @Post('stripe')
  stripe(@Body() event: { id: string; type: string }) {
    return { received: event.type };
  }

  private failNext = true;

  /** Fails the first delivery, like a handler whose database is briefly down. */
  @VerifyWebhook('standard', { secret: STANDARD_SECRET })
  @Post('flaky')
  @HttpCode(204)
  flaky() {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database briefly unavailable');
    }
  }

  @VerifyWebhook('github', { secret: GITHUB_SECRET })
  @Post('github')
  @HttpCode(204)
  github() {}
}

function appModule(storage: unknown, events: SecurityEvent[]): DynamicModule {
  @Module({})
  class WebhookAppModule {}
  return {
    module: WebhookAppModule,
    imports: [
      SecurityModule.forRoot({
        storage: storage as never,
        rateLimit: { enabled: false },
        events: { logger: false, sinks: [(e) => events.push(e)] },
      }),
    ],
    controllers: [WebhooksController],
  };
}

const targets = ADAPTERS.flatMap((adapter) => REDIS_TARGETS.map((target) => [adapter, target] as const));

describe.each(targets)('webhook verification on Redis (%s, %s)', (adapter, target) => {
  let app: INestApplication;
  let url: string;
  let storage: Awaited<ReturnType<typeof createTestRedisStorage>>;
  const events: SecurityEvent[] = [];
  const json = { 'content-type': 'application/json' };
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    storage = await createTestRedisStorage(`webhooks-${adapter}`, 1_000, target);
    ({ app, url } = await bootApp(adapter, appModule(storage, events) as never));
  });
  afterAll(async () => {
    await app.close();
    await storage.close();
  });

  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${url}/webhooks/${path}`, { method: 'POST', body, headers });
  const lastReason = () => events.filter((e) => e.type === 'WEBHOOK_REJECTED').at(-1)?.reason;

  describe('standard', () => {
    const body = '{"type":"invoice.paid","data":{"id":"in_1"}}';
    it('accepts a valid delivery, also signed with the old secret (rotation)', async () => {
      const a = signWebhook('standard', { secret: STANDARD_SECRET, body, id: `msg_a_${adapter}` });
      expect((await post('standard', body, { ...json, ...a })).status).toBe(204);
      const b = signWebhook('standard', { secret: STANDARD_OLD, body, id: `msg_b_${adapter}` });
      expect((await post('standard', body, { ...json, ...b })).status).toBe(204);
    });

    it.each([
      [
        'a tampered body',
        (h: Record<string, string>) => ({ h, body: body.replace('in_1', 'in_2') }),
        'signature_mismatch',
      ],
      [
        'an old timestamp',
        () => ({ h: signWebhook('standard', { secret: STANDARD_SECRET, body, timestamp: now() - 400 }), body }),
        'timestamp_too_old',
      ],
      [
        'a future timestamp',
        () => ({ h: signWebhook('standard', { secret: STANDARD_SECRET, body, timestamp: now() + 400 }), body }),
        'timestamp_in_future',
      ],
      [
        'an unknown secret',
        () => ({
          h: signWebhook('standard', { secret: `whsec_${Buffer.alloc(32, 9).toString('base64')}`, body }),
          body,
        }),
        'signature_mismatch',
      ],
    ])('refuses %s', async (_n, make, reason) => {
      const { h, body: sent } = make(signWebhook('standard', { secret: STANDARD_SECRET, body }));
      const res = await post('standard', sent, { ...json, ...h });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'INVALID_SIGNATURE', message: 'Invalid request signature' });
      expect(lastReason()).toBe(reason);
    });

    it('refuses a replayed webhook-id', async () => {
      const h = signWebhook('standard', { secret: STANDARD_SECRET, body, id: `msg_replay_${adapter}` });
      expect((await post('standard', body, { ...json, ...h })).status).toBe(204);
      expect((await post('standard', body, { ...json, ...h })).status).toBe(401);
      expect(lastReason()).toBe('replayed');
    });
  });

  it('forgets the event id when the handler fails, so the sender can retry', async () => {
    const body = '{"type":"invoice.paid"}';
    const id = `msg_flaky_${adapter}`;
    const first = signWebhook('standard', { secret: STANDARD_SECRET, body, id, timestamp: now() - 5 });
    expect((await post('flaky', body, { ...json, ...first })).status).toBe(500);
    const retry = signWebhook('standard', { secret: STANDARD_SECRET, body, id });
    expect((await post('flaky', body, { ...json, ...retry })).status).toBe(204);
    expect((await post('flaky', body, { ...json, ...retry })).status).toBe(401);
    expect(lastReason()).toBe('replayed');
  });

  describe('stripe', () => {
    const event = (id: string) => `{"id":"${id}","object":"event","type":"payment_intent.succeeded"}`;
    it('accepts a valid event and hands the parsed body to the handler', async () => {
      const body = event(`evt_ok_${adapter}`);
      const res = await post('stripe', body, { ...json, ...signWebhook('stripe', { secret: STRIPE_SECRET, body }) });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ received: 'payment_intent.succeeded' });
    });

    it('refuses a tampered body, an old timestamp and a replayed event id', async () => {
      const body = event(`evt_x_${adapter}`);
      const h = signWebhook('stripe', { secret: STRIPE_SECRET, body });
      expect((await post('stripe', body.replace('succeeded', 'failed'), { ...json, ...h })).status).toBe(401);
      const old = signWebhook('stripe', { secret: STRIPE_SECRET, body, timestamp: now() - 400 });
      expect((await post('stripe', body, { ...json, ...old })).status).toBe(401);
      expect(lastReason()).toBe('timestamp_too_old');
      expect((await post('stripe', body, { ...json, ...h })).status).toBe(201);
      // Same event id, freshly signed: still a replay.
      const again = signWebhook('stripe', { secret: STRIPE_SECRET, body, timestamp: now() + 1 });
      expect((await post('stripe', body, { ...json, ...again })).status).toBe(401);
      expect(lastReason()).toBe('replayed');
    });
  });

  describe('github', () => {
    it('accepts the published example payload and refuses a replayed delivery', async () => {
      const body = '{"zen":"Hello, World!"}';
      const headers = {
        ...json,
        ...signWebhook('github', { secret: GITHUB_SECRET, body }),
        'X-GitHub-Delivery': `delivery-${adapter}-${Date.now()}`,
      };
      expect((await post('github', body, headers)).status).toBe(204);
      expect((await post('github', body, headers)).status).toBe(401);
      expect(lastReason()).toBe('replayed');
    });

    it('refuses a replay that carries a fresh X-GitHub-Delivery (the header is not signed)', async () => {
      const body = `{"zen":"replayed ${adapter} ${Date.now()}"}`;
      const signed = { ...json, ...signWebhook('github', { secret: GITHUB_SECRET, body }) };
      expect((await post('github', body, { ...signed, 'X-GitHub-Delivery': `d1-${Date.now()}` })).status).toBe(204);
      const replay = await post('github', body, { ...signed, 'X-GitHub-Delivery': `d2-${Date.now()}` });
      expect(replay.status).toBe(401);
      expect(lastReason()).toBe('replayed');
    });

    it('refuses a wrong or missing signature', async () => {
      const body = '{"zen":"x"}';
      const wrong = signWebhook('github', { secret: 'not the secret', body });
      expect((await post('github', body, { ...json, ...wrong })).status).toBe(401);
      expect(lastReason()).toBe('signature_mismatch');
      expect((await post('github', body, json)).status).toBe(401);
      expect(lastReason()).toBe('signature_missing');
    });
  });
});

describe.each(ADAPTERS)('webhook verification without { rawBody: true } (%s)', (adapter) => {
  it('fails closed with a generic 500 instead of verifying a re-serialized body', async () => {
    const events: SecurityEvent[] = [];
    const moduleRef = await Test.createTestingModule({ imports: [appModule(undefined, events)] }).compile();
    const app =
      adapter === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
        : moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
      const body = '{"zen":"no raw body"}';
      const res = await fetch(`${url}/webhooks/github`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...signWebhook('github', { secret: GITHUB_SECRET, body }) },
      });
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'WEBHOOK_REJECTED', reason: 'raw_body_unavailable' }),
      );
    } finally {
      await app.close();
    }
  });
});
