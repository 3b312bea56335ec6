import { randomBytes, randomUUID } from 'node:crypto';
import { ApiKeyService, RateLimiterService } from 'nestjs-rampart';
import { faultApp, faultClient, type FaultAppOptions, type FaultAppRuns } from '../fixtures/fault-app';
import { codes, gql } from '../fixtures/graphql/graphql-client';
import { graphqlFixture } from '../fixtures/graphql/graphql-fixture.module';
import { eventually } from '../fixtures/load';
import { outageHarness } from '../fixtures/outage-harness';
import { ADAPTERS } from '../utils/app';
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

describe.each(ADAPTERS)('Redis outage table (%s)', (adapter) => {
  const outage = outageHarness(adapter);
  let client: ReturnType<typeof faultClient>;
  let runs: FaultAppRuns;

  const storage = () =>
    ({
      type: 'redis',
      url: outage.redis.url,
      keyPrefix: uniquePrefix(`outage-${adapter}`),
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    }) as const;

  /** Boots the fault app with every storage-backed feature on this test's Redis. */
  async function boot(options: FaultAppOptions = {}): Promise<void> {
    runs = { pay: 0 };
    const { url } = await outage.boot(
      faultApp(storage(), {
        runs,
        password: PASSWORD,
        login: { maxAttempts: 3, windowSeconds: 300 },
        apiKeyPepper: randomBytes(32).toString('hex'),
        signingKey: SIGNING_KEY,
        ...options,
      }),
    );
    client = faultClient(url, { password: PASSWORD });
  }

  const login = (username: string, password = PASSWORD, ip = '192.0.2.10') => client.login(username, ip, password);
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
      return !outage.app.get(RateLimiterService).isDegraded;
    });
  }

  it('authentication: down, authenticated routes answer 503 and public ones 200; restarted empty, a revoked token is accepted again', async () => {
    await boot();
    const live = await client.tokens('alice');
    const revoked = await client.tokens('bob');
    expect((await client.logout(revoked.accessToken)).status).toBe(201);
    expect((await client.me(revoked.accessToken)).status).toBe(401);

    await outage.kill();
    await expectUnavailable(await client.me(live.accessToken));
    await expectUnavailable(await client.me(revoked.accessToken));
    expect((await client.ping()).status).toBe(200);

    await outage.restart();
    await eventually(
      'the live token is accepted again',
      async () => (await client.me(live.accessToken)).status === 200,
    );
    // The revocation was in Redis only: until the access token expires, it works again.
    expect((await client.me(revoked.accessToken)).status).toBe(200);
  });

  it('login and refresh: down, both answer 503; restarted empty, refresh tokens are refused (log in again) and access tokens still work', async () => {
    await boot();
    const pair = await client.tokens('carol');

    await outage.kill();
    await expectUnavailable(await login('carol'));
    await expectUnavailable(await client.refresh(pair.refreshToken));

    await outage.restart();
    await eventually('logins work again', async () => (await login('carol-2')).status === 201);
    expect((await client.refresh(pair.refreshToken)).status).toBe(401);
    expect((await client.me(pair.accessToken)).status).toBe(200);
  });

  it('login limiter: down, the per-instance insurance limiter still locks out; restarted empty, failed attempts are forgotten', async () => {
    await boot();
    await outage.kill();
    for (let i = 0; i < 3; i++) expect((await login('dave', 'wrong', '192.0.2.20')).status).toBe(401);
    expect((await login('dave', 'wrong', '192.0.2.20')).status).toBe(429);

    await outage.restart();
    await eventually('logins work again', async () => (await login('dave-ok')).status === 201);
    await limiterOnRedis(() => login('dave-ok'));
    for (let i = 0; i < 3; i++) expect((await login('erin', 'wrong', '192.0.2.21')).status).toBe(401);
    expect((await login('erin', 'wrong', '192.0.2.21')).status).toBe(429);
    await outage.restartEmpty();
    await eventually('logins work again', async () => (await login('erin-ok')).status === 201);
    await limiterOnRedis(() => login('erin-ok'));
    // The lockout lived in Redis: the same IP and username may try again.
    expect((await login('erin', 'wrong', '192.0.2.21')).status).toBe(401);
  });

  it('API keys: down, requests with a key answer 503; restarted empty, keys kept in the security storage are gone (401)', async () => {
    await boot();
    const { key } = await outage.app.get(ApiKeyService).create({ ownerId: 'frank', name: 'outage' });
    expect((await client.meWithApiKey(key)).status).toBe(200);

    await outage.kill();
    await expectUnavailable(await client.meWithApiKey(key));

    await outage.restart();
    await eventually('logins work again', async () => (await login('frank-jwt')).status === 201);
    const { accessToken } = await client.tokens('frank-jwt');
    expect((await client.me(accessToken)).status).toBe(200);
    expect((await client.meWithApiKey(key)).status).toBe(401);
  });

  it('rate limits: down, the insurance limiter applies the same limits per instance (failOpen) and failOpen: false answers 503; restarted empty, counters and blocks are forgotten', async () => {
    await boot();
    await outage.kill();
    for (let i = 0; i < 3; i++) expect((await client.limited('192.0.2.30')).status).toBe(200);
    expect((await client.limited('192.0.2.30')).status).toBe(429);

    await outage.restart();
    await limiterOnRedis(() => client.limited('192.0.2.99'));
    for (let i = 0; i < 3; i++) expect((await client.limited('192.0.2.31')).status).toBe(200);
    expect((await client.limited('192.0.2.31')).status).toBe(429);
    await outage.restartEmpty();
    await limiterOnRedis(() => client.limited('192.0.2.99'));
    // The block lived in Redis: the IP is admitted again.
    expect((await client.limited('192.0.2.31')).status).toBe(200);

    await boot({ failOpen: false });
    await outage.kill();
    await expectUnavailable(await client.limited('192.0.2.32'));
  });

  it('idempotency: down, 503 and the handler does not run; restarted empty, a retried key runs the handler again', async () => {
    await boot();
    const { accessToken } = await client.tokens('grace');
    const key = randomUUID();
    expect((await client.pay(accessToken, key, 5)).status).toBe(201);
    const replay = await client.pay(accessToken, key, 5);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const ran = runs.pay;

    await outage.kill();
    // The revocation check answers first for a JWT: the route is refused before the handler.
    await expectUnavailable(await client.pay(accessToken, randomUUID(), 5));
    expect(runs.pay).toBe(ran);

    await outage.restart();
    await eventually('authenticated requests work again', async () => (await client.me(accessToken)).status === 200);
    const retried = await client.pay(accessToken, key, 5);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(runs.pay).toBe(ran + 1);
  });

  it('signing nonces: down, signed requests answer 503; restarted empty, a request replayed within the tolerance is accepted once more', async () => {
    await boot();
    const signed = (nonce: string) => client.signed(SIGNING_KEY, nonce);
    const send = signed(randomUUID());
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(401);

    await outage.kill();
    await expectUnavailable(await signed(randomUUID())());

    await outage.restart();
    await eventually('signed requests work again', async () => (await signed(randomUUID())()).status === 201);
    // The nonce was in Redis only: the replay is accepted once more, then refused again.
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(401);
  });

  it('GraphQL cost budget: down, operations fail with STORAGE_UNAVAILABLE; restarted empty, spent budgets are forgotten', async () => {
    const { url } = await outage.boot(
      graphqlFixture(adapter, { storage: storage(), graphql: { maxCost: 2, budget: { points: 2, windowSec: 60 } } }),
    );
    const hello = () => gql(url, '{ hello }');
    expect((await hello()).body.data).toEqual({ hello: 'world' });
    expect((await hello()).body.data).toEqual({ hello: 'world' });
    expect(codes(await hello())).toContain('RATE_LIMITED');

    await outage.kill();
    expect(codes(await hello())).toContain('STORAGE_UNAVAILABLE');

    await outage.restart();
    await eventually('the budget is charged again', async () => (await hello()).body.data?.hello === 'world');
    // One charge since the restart: the spent budget was forgotten, one point is left.
    expect((await hello()).body.data).toEqual({ hello: 'world' });
    expect(codes(await hello())).toContain('RATE_LIMITED');
  });
});
