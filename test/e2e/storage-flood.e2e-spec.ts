import { Body, Controller, Get, HttpCode, Module, Post, type DynamicModule } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import {
  ApiKeyService,
  Auth,
  CurrentPrincipal,
  LoginRateLimit,
  Public,
  SecurityModule,
  signWebhook,
  TokenService,
  VerifyWebhook,
  type SecurityEvent,
  type SecurityStorage,
} from 'nestjs-rampart';
import { randomBytes } from 'node:crypto';
import { ADAPTERS, bootApp } from '../utils/app';
import { createTestRedisStorage } from '../utils/redis';

const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
/** The memory store's total bound: small, so a flood overflows it in a few hundred requests. */
const MAX_ENTRIES = 200;

@Controller('flood')
class FloodController {
  @Get('me')
  me(@CurrentPrincipal('id') id: string) {
    return { id };
  }

  @Auth('api-key')
  @Get('key')
  key(@CurrentPrincipal('id') id: string) {
    return { id };
  }

  /** A login that always fails: each distinct username is a new counter a client creates. */
  @Public()
  @LoginRateLimit()
  @Post('login')
  @HttpCode(401)
  login(@Body() body: { username: string }) {
    return { username: body.username };
  }

  @Public()
  @VerifyWebhook('standard', { secret: WEBHOOK_SECRET })
  @Post('hook')
  @HttpCode(204)
  hook() {}
}

function appModule(storage: SecurityStorage | undefined, events: SecurityEvent[]): DynamicModule {
  @Module({})
  class FloodAppModule {}
  return {
    module: FloodAppModule,
    imports: [
      SecurityModule.forRoot({
        storage: storage ?? { type: 'memory', maxEntries: MAX_ENTRIES },
        events: { logger: false, sinks: [(e) => events.push(e)] },
        // One loopback client plays the crowd: its per-IP login limit would stop the flood at 50.
        rateLimit: { maxRequests: 1_000_000, login: { maxAttempts: 1_000, windowSeconds: 300, perIp: false } },
        auth: { jwt: { secret: randomBytes(32).toString('hex') }, apiKeys: { pepper: randomBytes(32) } },
      }),
    ],
    controllers: [FloodController],
  };
}

describe.each(ADAPTERS.flatMap((adapter) => [[adapter, 'memory'] as const, [adapter, 'redis'] as const]))(
  'a flood of client-creatable entries (%s, %s store)',
  (adapter, kind) => {
    let app: INestApplication;
    let url: string;
    let storage: SecurityStorage | undefined;
    const events: SecurityEvent[] = [];

    beforeAll(async () => {
      if (kind === 'redis') storage = await createTestRedisStorage(`flood-${adapter}`);
      ({ app, url } = await bootApp(adapter, appModule(storage, events) as never));
    });
    afterAll(async () => {
      await app.close();
      await storage?.close();
    });

    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    it('never brings a revoked token back, nor loses an API key', async () => {
      const tokens = app.get(TokenService);
      const revoked = await tokens.issue({ id: 'mallory' });
      const kept = await tokens.issue({ id: 'alice' });
      await tokens.revoke(revoked.accessToken);
      const { key } = await app.get(ApiKeyService).create({ ownerId: 'svc' });
      expect((await fetch(`${url}/flood/me`, { headers: bearer(revoked.accessToken) })).status).toBe(401);

      // Three times the store's bound of entries a client creates at will: one login counter per
      // username, one nonce per webhook delivery.
      const statuses = new Map<number, number>();
      const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
      for (let i = 0; i < 3 * MAX_ENTRIES; i++) {
        const login = await fetch(`${url}/flood/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `user-${i}` }),
        });
        expect(login.status).toBe(401);
        const body = `{"n":${i}}`;
        const headers = signWebhook('standard', { secret: WEBHOOK_SECRET, body, id: `msg_${kind}_${i}` });
        const hook = await fetch(`${url}/flood/hook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });
        count(hook.status);
      }

      expect((await fetch(`${url}/flood/me`, { headers: bearer(revoked.accessToken) })).status).toBe(401);
      expect((await fetch(`${url}/flood/me`, { headers: bearer(kept.accessToken) })).status).toBe(200);
      expect((await fetch(`${url}/flood/key`, { headers: { 'x-api-key': key } })).status).toBe(200);
      if (kind === 'memory') {
        // The nonce partition filled up: deliveries fail closed (503) rather than forget a nonce,
        // and the store said so once, not once per refused write.
        expect(statuses.get(204)).toBeGreaterThan(0);
        expect(statuses.get(503)).toBeGreaterThan(0);
        expect([...statuses.keys()].sort()).toEqual([204, 503]);
        const full = events.filter((e) => e.reason === 'memory_partition_full');
        expect(full).toHaveLength(1);
        expect(full[0].details).toMatchObject({ partition: 'nonces' });
      } else {
        expect([...statuses.keys()]).toEqual([204]);
      }
    });
  },
);
