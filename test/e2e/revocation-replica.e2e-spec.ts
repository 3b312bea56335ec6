import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { missingEventFields, type SecurityEvent } from 'nestjs-rampart';
import { RevocationReplica } from '../../src/auth/tokens/revocation-replica';
import { faultApp, faultClient } from '../fixtures/fault-app';
import { eventually } from '../fixtures/load';
import { spawnRedis, type SpawnedRedis } from '../fixtures/redis-server';
import { startFaultProxy, type FaultProxy } from '../fixtures/tcp-proxy';
import { ADAPTERS, bootApp } from '../utils/app';
import { uniquePrefix } from '../utils/redis';

/**
 * `auth.revocation.outage: 'replica'` against a real Redis behind a loopback proxy (cut and
 * restored, so Redis keeps its data): two instances share Redis; a token revoked through one is
 * still refused by the other while Redis is unreachable, a valid token passes, and once Redis
 * answers again the normal path is back. The default (`'fail-closed'`) answers 503 instead.
 */
/** Generous: every fault here fails at once (a stopped Redis, a cut network), never by the timeout, so a busy machine cannot turn a healthy reply into a 503. */
const COMMAND_TIMEOUT_MS = 2_000;

describe.each(ADAPTERS)('revocation replica during a Redis outage (%s)', (adapter) => {
  let redis: SpawnedRedis;
  let proxy: FaultProxy;
  const apps: INestApplication[] = [];

  beforeEach(async () => {
    redis = await spawnRedis();
    proxy = await startFaultProxy(redis.port);
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await proxy.close();
    await redis.stop();
  });

  async function boot(options: Parameters<typeof faultApp>[1], keyPrefix: string) {
    const storage = { type: 'redis', url: proxy.url, keyPrefix, commandTimeoutMs: COMMAND_TIMEOUT_MS } as const;
    const booted = await bootApp(adapter, faultApp(storage, options));
    apps.push(booted.app);
    return { app: booted.app, api: faultClient(booted.url) };
  }

  it('replica: a token revoked on another instance stays refused and a valid one passes; Redis back, the normal path again', async () => {
    const secret = randomBytes(32);
    const prefix = uniquePrefix(`replica-${adapter}`);
    const events: SecurityEvent[] = [];
    const revocation = { outage: 'replica', pollIntervalMs: 200 } as const;
    const a = await boot({ secret, revocation, events }, prefix);
    const b = await boot({ secret, revocation }, prefix);

    const live = await a.api.tokens('alice');
    const revoked = await a.api.tokens('mallory');
    // Revoked through instance B: instance A learns it from the log.
    expect((await b.api.logout(revoked.accessToken)).status).toBe(201);
    expect((await a.api.me(revoked.accessToken)).status).toBe(401);
    await a.app.get(RevocationReplica).sync();
    await b.app.get(RevocationReplica).sync();

    proxy.cut();
    expect((await a.api.me(revoked.accessToken)).status).toBe(401);
    expect((await a.api.me(live.accessToken)).status).toBe(200);
    expect((await b.api.me(revoked.accessToken)).status).toBe(401);
    expect((await b.api.me(live.accessToken)).status).toBe(200);
    // Writes still fail closed: no token is issued or revoked without Redis.
    expect((await a.api.login('bob')).status).toBe(503);
    const active = events.filter((e) => e.type === 'REVOCATION_REPLICA_ACTIVE');
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ outcome: 'info', reason: 'storage_unavailable' });
    expect(active[0].details).toMatchObject({ entries: expect.any(Number), stalenessMs: expect.any(Number) });
    expect(missingEventFields(active[0])).toEqual([]);

    proxy.restore();
    await eventually('instance A reads Redis again', async () => {
      await a.api.me(live.accessToken);
      return events.some((e) => e.type === 'REVOCATION_REPLICA_RELEASED');
    });
    const released = events.find((e) => e.type === 'REVOCATION_REPLICA_RELEASED');
    expect(released?.details).toMatchObject({ checks: expect.any(Number), durationMs: expect.any(Number) });
    expect(Number(released?.details?.checks)).toBeGreaterThanOrEqual(2);
    expect(missingEventFields(released!)).toEqual([]);
    expect((await a.api.me(revoked.accessToken)).status).toBe(401);
    expect((await a.api.me(live.accessToken)).status).toBe(200);
    expect((await a.api.login('bob')).status).toBe(201);
  });

  it('default (fail-closed): every authenticated request answers 503 while Redis is unreachable', async () => {
    const { api } = await boot({}, uniquePrefix(`fail-closed-${adapter}`));
    const live = await api.tokens('alice');
    proxy.cut();
    const res = await api.me(live.accessToken);
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 503,
      body: { code: 'STORAGE_UNAVAILABLE' },
    });
    proxy.restore();
    await eventually(
      'authenticated requests answer 200 again',
      async () => (await api.me(live.accessToken)).status === 200,
    );
  });
});
