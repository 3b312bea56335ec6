import { randomUUID } from 'node:crypto';
import type { SecurityEvent } from 'nestjs-rampart';
import { faultApp, faultClient, type FaultAppRuns } from '../fixtures/fault-app';
import { eventually, runLoad, sleep, statusesByName, type LoadResult } from '../fixtures/load';
import { outageHarness } from '../fixtures/outage-harness';
import { startFaultProxy, type FaultProxy } from '../fixtures/tcp-proxy';
import { timeoutBound } from '../fixtures/time-bound';
import { ADAPTERS } from '../utils/app';
import { uniquePrefix } from '../utils/redis';

/**
 * Fault injection against a standalone Redis the test owns (never the run's shared one): Redis
 * killed under load, restarted empty, slowed or stalled behind a TCP proxy, and the client's
 * network cut. Every request must end within a bound derived from the command timeout (stalls of
 * this process measured and taken out, see time-bound.ts) with a documented status, and the app
 * must recover without a restart once Redis answers again. `FAULTS_REPORT=1` prints each load's statuses and timings.
 */
/**
 * Generous, so that a healthy but slowed Redis (the "below the timeout" phase) never loses a race
 * against it when other processes keep the cores busy (Redis itself, a separate process, may then
 * wait for a core for a few hundred ms); faults that should fail (a stopped Redis, a cut network)
 * fail at once, and a stall or a latency beyond it is still bounded by it.
 */
const COMMAND_TIMEOUT_MS = 1_000;
/** One request touches the store a few times in sequence (IP limit, revocation, idempotency…). */
const REQUEST_BOUND_MS = timeoutBound(COMMAND_TIMEOUT_MS, 4);

/** What each route may answer while the store is away (failOpen rate limits, the default). */
const OUTAGE_STATUSES: Record<string, number[]> = {
  me: [200, 503], // revocation check fails closed
  ping: [200], // IP limit: the per-instance insurance limiter decides
  pay: [201, 503], // idempotency fails closed; the handler does not run
  login: [201, 503], // the session record cannot be written
};

function expectDocumented(results: LoadResult[], allowed: Record<string, number[]>): void {
  if (process.env.FAULTS_REPORT) {
    const maxActive = Math.max(...results.map((r) => r.activeMs));
    const maxWall = Math.max(...results.map((r) => r.ms));
    process.stdout.write(
      `${results.length} requests ${JSON.stringify(statusesByName(results))} max active ${maxActive.toFixed(0)} ms, max wall ${maxWall.toFixed(0)} ms, bound ${REQUEST_BOUND_MS} ms\n`,
    );
  }
  const wrong = results.filter((r) => r.error || !allowed[r.name].includes(r.status));
  expect(wrong.slice(0, 5)).toEqual([]);
  // Every 503 is the library's, with its stable code.
  const unexplained = results.filter((r) => r.status === 503 && r.code !== 'STORAGE_UNAVAILABLE');
  expect(unexplained.slice(0, 5)).toEqual([]);
  const slow = results.filter((r) => r.activeMs > REQUEST_BOUND_MS);
  expect(slow.slice(0, 5)).toEqual([]);
}

describe.each(ADAPTERS)('Redis faults (%s)', (adapter) => {
  const outage = outageHarness(adapter);
  const events: SecurityEvent[] = [];
  const runs: FaultAppRuns = { pay: 0 };

  async function boot(url: string) {
    const booted = await outage.boot(
      faultApp(
        { type: 'redis', url, keyPrefix: uniquePrefix(`faults-${adapter}`), commandTimeoutMs: COMMAND_TIMEOUT_MS },
        { events, runs },
      ),
    );
    return faultClient(booted.url);
  }

  /** A TCP proxy in front of this test's Redis (closed after the test). */
  async function proxied(): Promise<FaultProxy> {
    const proxy = await startFaultProxy(outage.redis.port);
    outage.onCleanup(() => proxy.close());
    return proxy;
  }

  /** Bounded mixed load over every storage-backed feature. */
  function load(client: ReturnType<typeof faultClient>, token: string) {
    let n = 0;
    return runLoad(
      [
        { name: 'me', send: () => client.me(token) },
        { name: 'ping', send: () => client.ping(`198.51.100.${++n % 200}`) },
        { name: 'pay', send: () => client.pay(token, randomUUID()) },
        { name: 'login', send: () => client.login(`user-${++n}`, `203.0.113.${n % 200}`) },
      ],
      { concurrency: 6, maxRequests: 4_000 },
    );
  }

  /** Waits (bounded) until an authenticated request made from `from` on answered the outage's 503. */
  async function answeredUnavailable(results: LoadResult[], from: number): Promise<void> {
    await eventually(
      'an authenticated request answered 503 STORAGE_UNAVAILABLE',
      async () => results.slice(from).some((r) => r.name === 'me' && r.status === 503),
      40_000,
    );
  }

  /** The app answers normally again: every feature back on Redis. */
  async function recovered(client: ReturnType<typeof faultClient>, token: string) {
    await eventually('authenticated requests answer 200 again', async () => (await client.me(token)).status === 200);
    expect((await client.pay(token, randomUUID())).status).toBe(201);
    expect((await client.login('after-recovery')).status).toBe(201);
    expect((await client.ping()).status).toBe(200);
  }

  beforeEach(() => {
    events.length = 0;
  });

  it('Redis killed mid-load: documented statuses within the timeout bound, recovery without a restart', async () => {
    const client = await boot(outage.redis.url);
    const { accessToken } = await client.tokens('alice');
    const traffic = load(client, accessToken);
    await sleep(300);
    await outage.kill();
    const killedAt = traffic.results.length;
    await sleep(1_000);
    await outage.restart();
    await sleep(300);
    const results = await traffic.stop();
    expectDocumented(results, OUTAGE_STATUSES);
    // The outage was seen: authenticated and idempotent requests refused while Redis was gone.
    const during = results.slice(killedAt);
    expect(during.some((r) => r.name === 'me' && r.status === 503)).toBe(true);
    expect(during.some((r) => r.name === 'pay' && r.status === 503)).toBe(true);
    expect(events.some((e) => e.type === 'STORAGE_UNAVAILABLE')).toBe(true);
    // failOpen: public routes kept answering through the insurance limiter.
    expect(statusesByName(during).ping[200]).toBeGreaterThan(0);
    await recovered(client, accessToken);
  });

  it('Redis restarted empty: revocations, blocks, sessions and idempotency records are lost', async () => {
    const client = await boot(outage.redis.url);
    const revoked = await client.tokens('bob');
    expect((await client.logout(revoked.accessToken)).status).toBe(201);
    expect((await client.me(revoked.accessToken)).status).toBe(401);
    const live = await client.tokens('carol');
    const key = randomUUID();
    const first = await client.pay(live.accessToken, key);
    expect(first.status).toBe(201);
    const paidRuns = runs.pay;
    for (let i = 0; i < 3; i++) expect((await client.limited('192.0.2.50')).status).toBe(200);
    expect((await client.limited('192.0.2.50')).status).toBe(429);

    await outage.restartEmpty(); // same address, no data: persistence is off
    await recovered(client, live.accessToken);

    // What an empty Redis forgets (docs/storage.md): the revoked token is accepted again until it
    // expires (access-token TTL bounds the damage), the IP's block is gone, a retried payment with
    // the same Idempotency-Key runs the handler again, and refresh tokens lose their session (401:
    // the user logs in again, which fails safe).
    expect((await client.me(revoked.accessToken)).status).toBe(200);
    expect((await client.limited('192.0.2.50')).status).toBe(200);
    const retried = await client.pay(live.accessToken, key);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(runs.pay).toBe(paidRuns + 2); // the recovery probe in recovered() and the retry
    expect((await client.refresh(live.refreshToken)).status).toBe(401);
  });

  it('a slow Redis (latency below the timeout) is only slower; beyond it, requests end within the bound', async () => {
    const proxy = await proxied();
    const client = await boot(proxy.url);
    const { accessToken } = await client.tokens('dave');

    // 50 ms each way: clearly slower, far below the timeout.
    proxy.setLatency(COMMAND_TIMEOUT_MS / 20);
    const slow = load(client, accessToken);
    await sleep(800);
    const slowResults = await slow.stop();
    // Below the command timeout nothing fails.
    expectDocumented(slowResults, { me: [200], ping: [200], pay: [201], login: [201] });

    proxy.setLatency(COMMAND_TIMEOUT_MS * 5);
    const late = load(client, accessToken);
    await answeredUnavailable(late.results, 0);
    const lateResults = await late.stop();
    expectDocumented(lateResults, OUTAGE_STATUSES);

    proxy.setLatency(0);
    await recovered(client, accessToken);
  }, 90_000);

  it('a stalled Redis (connection open, no bytes) is bounded by the command timeout, and recovers', async () => {
    const proxy = await proxied();
    const client = await boot(proxy.url);
    const { accessToken } = await client.tokens('erin');
    const traffic = load(client, accessToken);
    await sleep(200);
    proxy.stall();
    const stalledAt = traffic.results.length;
    // The stall lasts until an authenticated request has answered 503: a fixed stall raced the
    // requests' own latency on a busy machine (each touches the store several times in sequence).
    await answeredUnavailable(traffic.results, stalledAt);
    proxy.resume();
    await sleep(300);
    const results = await traffic.stop();
    expectDocumented(results, OUTAGE_STATUSES);
    await recovered(client, accessToken);
  }, 90_000);

  it('the network to Redis dropped and restored: fast 503s while down, recovery without a restart', async () => {
    const proxy = await proxied();
    const client = await boot(proxy.url);
    const { accessToken } = await client.tokens('frank');
    const revoked = await client.tokens('frank-revoked');
    expect((await client.logout(revoked.accessToken)).status).toBe(201);
    const traffic = load(client, accessToken);
    await sleep(200);
    proxy.cut();
    const cutAt = traffic.results.length;
    await sleep(1_000);
    proxy.restore();
    await sleep(300);
    const results = await traffic.stop();
    expectDocumented(results, OUTAGE_STATUSES);
    expect(results.slice(cutAt).some((r) => r.name === 'me' && r.status === 503)).toBe(true);
    await recovered(client, accessToken);
    // Redis itself kept its data: the revocation made before the cut still holds.
    expect((await client.me(revoked.accessToken)).status).toBe(401);
  });
});
