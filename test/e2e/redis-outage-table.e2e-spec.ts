import { randomBytes, randomUUID } from 'node:crypto';
import {
  Body,
  Controller,
  Get,
  type INestApplication,
  Module,
  Post,
  UnauthorizedException,
  type DynamicModule,
} from '@nestjs/common';
import {
  AllowSensitiveFields,
  ApiKeyService,
  CurrentPrincipal,
  Idempotent,
  LoginRateLimit,
  Public,
  RateLimit,
  RateLimiterService,
  SecurityModule,
  Signed,
  signRequest,
  TokenService,
  type SecurityModuleOptions,
} from 'nestjs-rampart';
import { codes, gql } from '../fixtures/graphql/graphql-client';
import { graphqlFixture } from '../fixtures/graphql/graphql-fixture.module';
import { eventually } from '../fixtures/load';
import { spawnRedis, type SpawnedRedis } from '../fixtures/redis-server';
import { ADAPTERS, bootApp } from '../utils/app';
import { uniquePrefix } from '../utils/redis';

/**
 * The outage table of docs/storage.md, row by row: for each feature, what it answers while Redis
 * is down and what it forgets when Redis comes back empty. Each test owns its redis-server
 * (persistence off, so a restart on the same port is an empty Redis) and never touches the run's.
 */
/** Generous: every fault here fails at once (a stopped Redis, a cut network), never by the timeout, so a busy machine cannot turn a healthy reply into a 503. */
const COMMAND_TIMEOUT_MS = 2_000;
const SIGNING_KEY = { keyId: 'k1', secret: 'outage-signing-secret-0123456789abcdef' };
const PASSWORD = 'correct horse';

@Controller('outage')
class OutageController {
  runs = 0;
  constructor(private readonly tokens: TokenService) {}

  @AllowSensitiveFields('refreshToken')
  @Public()
  @LoginRateLimit()
  @Post('login')
  login(@Body() body: { username: string; password: string }) {
    if (body.password !== PASSWORD) throw new UnauthorizedException();
    return this.tokens.issue({ id: body.username });
  }

  @AllowSensitiveFields('refreshToken')
  @Public()
  @Post('refresh')
  refresh(@Body() body: { refreshToken: string }) {
    return this.tokens.refresh(body.refreshToken);
  }

  @Post('logout')
  async logout(@CurrentPrincipal() principal: { id: string }) {
    await this.tokens.logoutPrincipal(principal as never);
    return { ok: true };
  }

  /** Any credential of `auth.defaultMethods`: a JWT or an API key. */
  @Get('me')
  me(@CurrentPrincipal('id') id: string) {
    return { id };
  }

  @Public()
  @Get('ping')
  ping() {
    return { ok: true };
  }

  @Public()
  @RateLimit({ default: { limit: 3, windowSeconds: 60 } })
  @Get('limited')
  limited() {
    return { ok: true };
  }

  @Idempotent()
  @Post('pay')
  pay(@Body() body: { amount: number }) {
    this.runs += 1;
    return { run: this.runs, amount: body.amount };
  }

  @Public()
  @Signed()
  @Post('signed')
  signed() {
    return { accepted: true };
  }
}

function outageApp(storage: SecurityModuleOptions['storage'], failOpen = true): DynamicModule {
  @Module({})
  class OutageAppModule {}
  return {
    module: OutageAppModule,
    imports: [
      SecurityModule.forRoot({
        storage,
        trustProxy: ['loopback'],
        events: { logger: false },
        auth: { jwt: { secret: randomBytes(32) }, apiKeys: { pepper: randomBytes(32).toString('hex') } },
        rateLimit: {
          maxRequests: 1_000_000,
          windowSeconds: 60,
          failOpen,
          escalation: { enabled: false },
          login: { maxAttempts: 3, windowSeconds: 300 },
        },
        signing: { keys: { [SIGNING_KEY.keyId]: SIGNING_KEY.secret } },
      }),
    ],
    controllers: [OutageController],
  };
}

describe.each(ADAPTERS)('Redis outage table (%s)', (adapter) => {
  let redis: SpawnedRedis;
  let app: INestApplication | undefined;
  let url: string;

  const storage = () =>
    ({
      type: 'redis',
      url: redis.url,
      keyPrefix: uniquePrefix(`outage-${adapter}`),
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    }) as const;

  async function boot(module: DynamicModule) {
    const booted = await bootApp(adapter, module);
    app = booted.app;
    url = booted.url;
  }

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}/outage/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${url}/outage/${path}`, { headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const login = (username: string, password = PASSWORD, ip = '192.0.2.10') =>
    post('login', { username, password }, { 'x-forwarded-for': ip });
  async function tokens(username: string): Promise<{ accessToken: string; refreshToken: string }> {
    const res = await login(username);
    expect(res.status).toBe(201);
    return (await res.json()) as { accessToken: string; refreshToken: string };
  }
  async function expectUnavailable(res: Response): Promise<void> {
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 503,
      body: { code: 'STORAGE_UNAVAILABLE' },
    });
  }
  /**
   * Sends `probe` until the rate limiter decides on Redis again: while it is degraded its
   * per-instance insurance limiter answers (200 too), so a 200 alone does not say where the
   * decision came from. The last probe was decided by Redis.
   */
  async function limiterOnRedis(probe: () => Promise<unknown>): Promise<void> {
    await eventually('the rate limiter decides on Redis again', async () => {
      await probe();
      return !app!.get(RateLimiterService).isDegraded;
    });
  }
  /** Redis restarted on the same port with no data (persistence is off). */
  async function restartEmpty(): Promise<void> {
    await redis.kill();
    redis = await spawnRedis(redis.port);
  }
  const signed = (nonce: string) => {
    const headers = signRequest({ method: 'POST', url: '/outage/signed', body: '', nonce, ...SIGNING_KEY });
    return () => fetch(`${url}/outage/signed`, { method: 'POST', headers });
  };

  beforeEach(async () => {
    redis = await spawnRedis();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await redis.stop();
  });

  it('authentication: down, authenticated routes answer 503 and public ones 200; restarted empty, a revoked token is accepted again', async () => {
    await boot(outageApp(storage()));
    const live = await tokens('alice');
    const revoked = await tokens('bob');
    expect((await post('logout', {}, bearer(revoked.accessToken))).status).toBe(201);
    expect((await get('me', bearer(revoked.accessToken))).status).toBe(401);

    await redis.kill();
    await expectUnavailable(await get('me', bearer(live.accessToken)));
    await expectUnavailable(await get('me', bearer(revoked.accessToken)));
    expect((await get('ping')).status).toBe(200);

    redis = await spawnRedis(redis.port);
    await eventually(
      'the live token is accepted again',
      async () => (await get('me', bearer(live.accessToken))).status === 200,
    );
    // The revocation was in Redis only: until the access token expires, it works again.
    expect((await get('me', bearer(revoked.accessToken))).status).toBe(200);
  });

  it('login and refresh: down, both answer 503; restarted empty, refresh tokens are refused (log in again) and access tokens still work', async () => {
    await boot(outageApp(storage()));
    const pair = await tokens('carol');

    await redis.kill();
    await expectUnavailable(await login('carol'));
    await expectUnavailable(await post('refresh', { refreshToken: pair.refreshToken }));

    redis = await spawnRedis(redis.port);
    await eventually('logins work again', async () => (await login('carol-2')).status === 201);
    expect((await post('refresh', { refreshToken: pair.refreshToken })).status).toBe(401);
    expect((await get('me', bearer(pair.accessToken))).status).toBe(200);
  });

  it('login limiter: down, the per-instance insurance limiter still locks out; restarted empty, failed attempts are forgotten', async () => {
    await boot(outageApp(storage()));
    await redis.kill();
    for (let i = 0; i < 3; i++) expect((await login('dave', 'wrong', '192.0.2.20')).status).toBe(401);
    expect((await login('dave', 'wrong', '192.0.2.20')).status).toBe(429);

    redis = await spawnRedis(redis.port);
    await eventually('logins work again', async () => (await login('dave-ok')).status === 201);
    await limiterOnRedis(() => login('dave-ok'));
    for (let i = 0; i < 3; i++) expect((await login('erin', 'wrong', '192.0.2.21')).status).toBe(401);
    expect((await login('erin', 'wrong', '192.0.2.21')).status).toBe(429);
    await restartEmpty();
    await eventually('logins work again', async () => (await login('erin-ok')).status === 201);
    await limiterOnRedis(() => login('erin-ok'));
    // The lockout lived in Redis: the same IP and username may try again.
    expect((await login('erin', 'wrong', '192.0.2.21')).status).toBe(401);
  });

  it('API keys: down, requests with a key answer 503; restarted empty, keys kept in the security storage are gone (401)', async () => {
    await boot(outageApp(storage()));
    const { key } = await app!.get(ApiKeyService).create({ ownerId: 'frank', name: 'outage' });
    expect((await get('me', { 'x-api-key': key })).status).toBe(200);

    await redis.kill();
    await expectUnavailable(await get('me', { 'x-api-key': key }));

    redis = await spawnRedis(redis.port);
    await eventually('logins work again', async () => (await login('frank-jwt')).status === 201);
    const { accessToken } = await tokens('frank-jwt');
    expect((await get('me', bearer(accessToken))).status).toBe(200);
    expect((await get('me', { 'x-api-key': key })).status).toBe(401);
  });

  it('rate limits: down, the insurance limiter applies the same limits per instance (failOpen) and failOpen: false answers 503; restarted empty, counters and blocks are forgotten', async () => {
    await boot(outageApp(storage()));
    await redis.kill();
    for (let i = 0; i < 3; i++) expect((await get('limited', { 'x-forwarded-for': '192.0.2.30' })).status).toBe(200);
    expect((await get('limited', { 'x-forwarded-for': '192.0.2.30' })).status).toBe(429);

    redis = await spawnRedis(redis.port);
    await limiterOnRedis(() => get('limited', { 'x-forwarded-for': '192.0.2.99' }));
    for (let i = 0; i < 3; i++) expect((await get('limited', { 'x-forwarded-for': '192.0.2.31' })).status).toBe(200);
    expect((await get('limited', { 'x-forwarded-for': '192.0.2.31' })).status).toBe(429);
    await restartEmpty();
    await limiterOnRedis(() => get('limited', { 'x-forwarded-for': '192.0.2.99' }));
    // The block lived in Redis: the IP is admitted again.
    expect((await get('limited', { 'x-forwarded-for': '192.0.2.31' })).status).toBe(200);

    await app!.close();
    await boot(outageApp(storage(), false));
    await redis.kill();
    await expectUnavailable(await get('limited', { 'x-forwarded-for': '192.0.2.32' }));
  });

  it('idempotency: down, 503 and the handler does not run; restarted empty, a retried key runs the handler again', async () => {
    await boot(outageApp(storage()));
    const controller = app!.get(OutageController);
    const { accessToken } = await tokens('grace');
    const key = randomUUID();
    expect((await post('pay', { amount: 5 }, { ...bearer(accessToken), 'idempotency-key': key })).status).toBe(201);
    const replay = await post('pay', { amount: 5 }, { ...bearer(accessToken), 'idempotency-key': key });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const runs = controller.runs;

    await redis.kill();
    // The revocation check answers first for a JWT: the route is refused before the handler.
    await expectUnavailable(
      await post('pay', { amount: 5 }, { ...bearer(accessToken), 'idempotency-key': randomUUID() }),
    );
    expect(controller.runs).toBe(runs);

    redis = await spawnRedis(redis.port);
    await eventually(
      'authenticated requests work again',
      async () => (await get('me', bearer(accessToken))).status === 200,
    );
    const retried = await post('pay', { amount: 5 }, { ...bearer(accessToken), 'idempotency-key': key });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(controller.runs).toBe(runs + 1);
  });

  it('signing nonces: down, signed requests answer 503; restarted empty, a request replayed within the tolerance is accepted once more', async () => {
    await boot(outageApp(storage()));
    const send = signed(randomUUID());
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(401);

    await redis.kill();
    await expectUnavailable(await signed(randomUUID())());

    redis = await spawnRedis(redis.port);
    await eventually('signed requests work again', async () => (await signed(randomUUID())()).status === 201);
    // The nonce was in Redis only: the replay is accepted once more, then refused again.
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(401);
  });

  it('GraphQL cost budget: down, operations fail with STORAGE_UNAVAILABLE; restarted empty, spent budgets are forgotten', async () => {
    await boot(
      graphqlFixture(adapter, { storage: storage(), graphql: { maxCost: 2, budget: { points: 2, windowSec: 60 } } }),
    );
    const hello = () => gql(url, '{ hello }');
    expect((await hello()).body.data).toEqual({ hello: 'world' });
    expect((await hello()).body.data).toEqual({ hello: 'world' });
    expect(codes(await hello())).toContain('RATE_LIMITED');

    await redis.kill();
    expect(codes(await hello())).toContain('STORAGE_UNAVAILABLE');

    redis = await spawnRedis(redis.port);
    await eventually('the budget is charged again', async () => (await hello()).body.data?.hello === 'world');
    // One charge since the restart: the spent budget was forgotten, one point is left.
    expect((await hello()).body.data).toEqual({ hello: 'world' });
    expect(codes(await hello())).toContain('RATE_LIMITED');
  });
});
