import { randomUUID } from 'node:crypto';
import {
  Body,
  type CanActivate,
  Controller,
  type ExecutionContext,
  Header,
  HttpException,
  Injectable,
  Module,
  NotFoundException,
  Post,
  UseGuards,
  type DynamicModule,
} from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { IsNumber, IsString } from 'class-validator';
import { Idempotent, Public, SecurityModule, SecurityStorage, type SecurityModuleOptions } from 'nestjs-rampart';
import { getSecurityState } from '../../src/core/context/request-state';
import { idempotencyRecordId, requestFingerprint } from '../../src/idempotency/idempotency-key.util';
import { IdempotencyStore } from '../../src/idempotency/idempotency.store';
import { ADAPTERS, bootApp } from '../utils/app';
import { createClusterClient, REDIS_TARGETS, redisUrl, uniquePrefix, type RedisTarget } from '../utils/redis';
import { spawnRedis } from '../fixtures/redis-server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Real counters: how many times each handler body actually ran (shared by every app instance). */
const runs = { pay: 0, slow: 0, flaky: 0, missing: 0, big: 0 };
let gate: { promise: Promise<void>; open: () => void } = newGate();
function newGate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Stands in for the authentication guard: `X-Test-User` becomes the principal. */
@Injectable()
class TestAuthGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const user = req.headers['x-test-user'];
    if (user) {
      const state = getSecurityState(req);
      state.principal = { type: 'user', id: user, roles: [], scopes: [], claims: {} };
      state.authenticated = true;
    }
    return true;
  }
}

class PayDto {
  @IsNumber()
  amount!: number;

  @IsString()
  currency!: string;
}

@Public()
@UseGuards(TestAuthGuard)
@Controller('idem')
class IdemController {
  // The suite's lease is 300 ms (to test renewal and crash recovery on `slow`); the exactly-once
  // tests on `pay` need a lease no pause of this busy test process can outlast.
  @Post('pay')
  @Idempotent({ leaseMs: 60_000 })
  @Header('Location', '/idem/pay/latest')
  pay(@Body() dto: PayDto) {
    runs.pay += 1;
    return { id: randomUUID(), run: runs.pay, amount: dto.amount, currency: dto.currency };
  }

  @Post('slow')
  @Idempotent()
  async slow() {
    runs.slow += 1;
    await gate.promise;
    return { run: runs.slow };
  }

  @Post('flaky')
  @Idempotent()
  flaky() {
    runs.flaky += 1;
    if (runs.flaky === 1) throw new Error('database exploded');
    return { run: runs.flaky };
  }

  @Post('missing')
  @Idempotent()
  missing(): never {
    runs.missing += 1;
    throw new NotFoundException('No such order');
  }

  @Post('big')
  @Idempotent()
  big() {
    runs.big += 1;
    return { run: runs.big, blob: 'x'.repeat(1_100_000) };
  }

  @Post('optional')
  @Idempotent({ required: false })
  optional() {
    return { ok: true };
  }
}

function appModule(options: SecurityModuleOptions): DynamicModule {
  @Module({})
  class IdemAppModule {}
  return {
    module: IdemAppModule,
    imports: [SecurityModule.forRoot({ rateLimit: { enabled: false }, events: { logger: false }, ...options })],
    controllers: [IdemController],
    providers: [TestAuthGuard],
  };
}

async function boot(adapter: (typeof ADAPTERS)[number], options: SecurityModuleOptions) {
  const definition = appModule(options);
  @Module({ imports: [definition] })
  class Root {}
  return bootApp(adapter, Root);
}

const targets = ADAPTERS.flatMap((adapter) => REDIS_TARGETS.map((target) => [adapter, target] as const));

describe.each(targets)('idempotency (%s, Redis %s)', (adapter, target: RedisTarget) => {
  const prefix = uniquePrefix(`idem-${adapter}`);
  // On the cluster both instances share one ioredis Cluster client passed as storage.client.
  let cluster: Awaited<ReturnType<typeof createClusterClient>> | undefined;
  const redisOptions = (): SecurityModuleOptions => ({
    storage: cluster
      ? { type: 'redis', client: cluster, keyPrefix: prefix, commandTimeoutMs: 1_000 }
      : { type: 'redis', url: redisUrl(), keyPrefix: prefix, commandTimeoutMs: 1_000 },
    idempotency: { leaseMs: 300 },
  });
  let app: INestApplication;
  let url: string;
  let second: { app: INestApplication; url: string };

  beforeAll(async () => {
    if (target === 'cluster') cluster = await createClusterClient();
    ({ app, url } = await boot(adapter, redisOptions()));
    second = await boot(adapter, redisOptions());
  });
  afterAll(async () => {
    await app.close();
    await second.app.close();
    await cluster?.quit();
  });

  const send = (path: string, key: string | undefined, body: unknown, user = 'alice', base = url) =>
    fetch(`${base}/idem/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(user ? { 'x-test-user': user } : {}),
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body: JSON.stringify(body),
    });

  it('runs once and replays the exact first response with Idempotent-Replayed', async () => {
    const key = randomUUID();
    const before = runs.pay;
    const first = await send('pay', key, { amount: 10, currency: 'EUR' });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await first.text();
    // Same payload with another key order: the canonical fingerprint matches.
    const again = await send('pay', key, { currency: 'EUR', amount: 10 });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe('/idem/pay/latest');
    expect(await again.text()).toBe(firstBody);
    expect(runs.pay).toBe(before + 1);
  });

  it('accepts the draft sf-string form of the key', async () => {
    const key = randomUUID();
    const bare = await send('pay', key, { amount: 1, currency: 'USD' });
    const quoted = await send('pay', `"${key}"`, { amount: 1, currency: 'USD' });
    expect(quoted.headers.get('idempotent-replayed')).toBe('true');
    expect(await quoted.json()).toEqual(await bare.json());
  });

  it('answers 422 when the key is reused with a different payload', async () => {
    const key = randomUUID();
    expect((await send('pay', key, { amount: 10, currency: 'EUR' })).status).toBe(201);
    const res = await send('pay', key, { amount: 11, currency: 'EUR' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { code: string }).code).toBe('IDEMPOTENCY_KEY_MISMATCH');
  });

  it.each([
    ['missing', undefined, 'IDEMPOTENCY_KEY_MISSING'],
    ['empty', '', 'IDEMPOTENCY_KEY_INVALID'],
    ['too long', 'k'.repeat(256), 'IDEMPOTENCY_KEY_INVALID'],
    ['non-printable', 'abc\tdef', 'IDEMPOTENCY_KEY_INVALID'],
    ['non-ASCII', 'clé-été', 'IDEMPOTENCY_KEY_INVALID'],
  ])('answers 400 for a %s key without running the handler', async (_name, key, code) => {
    const before = runs.pay;
    const res = await fetch(`${url}/idem/pay`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-test-user': 'alice',
        ...(key === undefined ? {} : { 'idempotency-key': Buffer.from(key, 'utf8').toString('latin1') }),
      },
      body: JSON.stringify({ amount: 1, currency: 'EUR' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe(code);
    expect(runs.pay).toBe(before);
  });

  it('lets a route make the key optional', async () => {
    expect((await send('optional', undefined, {})).status).toBe(201);
  });

  it('answers 409 with Retry-After while the first request is in flight, then replays', async () => {
    gate = newGate();
    const key = randomUUID();
    const first = send('slow', key, {});
    await sleep(100);
    const during = await send('slow', key, {});
    expect(during.status).toBe(409);
    expect(during.headers.get('retry-after')).toBe('1');
    expect(((await during.json()) as { code: string }).code).toBe('IDEMPOTENCY_IN_FLIGHT');
    // The lease (300 ms) is renewed while the handler runs: still locked well past it.
    await sleep(700);
    expect((await send('slow', key, {})).status).toBe(409);
    gate.open();
    expect((await first).status).toBe(201);
    const after = await send('slow', key, {});
    expect(after.headers.get('idempotent-replayed')).toBe('true');
  });

  it('frees a key whose holder crashed once its lease expires', async () => {
    const storage = app.get<SecurityStorage>(SecurityStorage);
    const store = new IdempotencyStore(storage);
    const key = randomUUID();
    const body = { amount: 5, currency: 'GBP' };
    const scope = 'user:alice';
    // A crashed instance left its in-flight lease behind (no renewal will ever come).
    const storeKey = store.key(idempotencyRecordId(scope, key));
    const crashed = await store.acquire(storeKey, requestFingerprint('POST', '/idem/pay', body, scope), 300);
    expect(crashed.kind).toBe('acquired');
    expect((await send('pay', key, body)).status).toBe(409);
    await sleep(450);
    const before = runs.pay;
    const res = await send('pay', key, body);
    expect(res.status).toBe(201);
    expect(runs.pay).toBe(before + 1);
  });

  it('never replays one user’s response to another user with the same key', async () => {
    const key = randomUUID();
    const body = { amount: 7, currency: 'EUR' };
    const alice = await send('pay', key, body, 'alice');
    const bob = await send('pay', key, body, 'bob');
    expect(bob.status).toBe(201);
    expect(bob.headers.get('idempotent-replayed')).toBeNull();
    const [a, b] = (await Promise.all([alice.json(), bob.json()])) as Array<{ id: string }>;
    expect(a.id).not.toBe(b.id);
  });

  it('scopes anonymous callers by IP', async () => {
    const key = randomUUID();
    const first = await send('pay', key, { amount: 3, currency: 'EUR' }, '');
    expect(first.status).toBe(201);
    const again = await send('pay', key, { amount: 3, currency: 'EUR' }, '');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('does not store a 5xx: the key is released and a retry runs again', async () => {
    const key = randomUUID();
    runs.flaky = 0;
    const failed = await send('flaky', key, {});
    expect(failed.status).toBe(500);
    const retried = await send('flaky', key, {});
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('does not store a response over maxStoredBytes: the key is released', async () => {
    const key = randomUUID();
    const before = runs.big;
    expect((await send('big', key, {})).status).toBe(201);
    const again = await send('big', key, {});
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(runs.big).toBe(before + 2);
  });

  it('stores and replays a 4xx', async () => {
    const key = randomUUID();
    const before = runs.missing;
    const first = await send('missing', key, {});
    expect(first.status).toBe(404);
    const again = await send('missing', key, {});
    expect(again.status).toBe(404);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { message: string }).message).toBe('No such order');
    expect(runs.missing).toBe(before + 1);
  });

  it('does not store a validation failure (nothing ran): the corrected request may reuse the key', async () => {
    const key = randomUUID();
    expect((await send('pay', key, { amount: 'ten', currency: 'EUR' })).status).toBe(400);
    expect((await send('pay', key, { amount: 10, currency: 'EUR' })).status).toBe(201);
  });

  it('runs the handler exactly once for N concurrent identical requests on one instance', async () => {
    const key = randomUUID();
    const before = runs.pay;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => send('pay', key, { amount: 9, currency: 'EUR' })),
    );
    expect(runs.pay).toBe(before + 1);
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
  });

  it('runs the handler exactly once across two instances sharing Redis', async () => {
    const key = randomUUID();
    const before = runs.pay;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        send('pay', key, { amount: 4, currency: 'EUR' }, 'alice', i % 2 ? second.url : url),
      ),
    );
    expect(runs.pay).toBe(before + 1);
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    const replay = await send('pay', key, { amount: 4, currency: 'EUR' }, 'alice', second.url);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });
});

describe.each(ADAPTERS)('idempotency storage failure (%s)', (adapter) => {
  it('fails closed with 503 when the store is down, and runs nothing', async () => {
    const redis = await spawnRedis();
    const { app, url } = await boot(adapter, {
      storage: { type: 'redis', url: redis.url, keyPrefix: uniquePrefix('idem-down'), commandTimeoutMs: 100 },
    });
    try {
      const before = runs.pay;
      const post = () =>
        fetch(`${url}/idem/pay`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-test-user': 'alice', 'idempotency-key': randomUUID() },
          body: JSON.stringify({ amount: 1, currency: 'EUR' }),
        });
      expect((await post()).status).toBe(201);
      await redis.stop();
      const res = await post();
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('STORAGE_UNAVAILABLE');
      expect(runs.pay).toBe(before + 1);
    } finally {
      await app.close();
      await redis.stop();
    }
  });
});

@Public()
@UseGuards(TestAuthGuard)
@Controller('plain')
class PlainController {
  @Post()
  create() {
    return { ok: true };
  }
}

describe.each(ADAPTERS)('idempotency options (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const definition = appModule({
      idempotency: {
        applyTo: 'mutations',
        anonymous: 'refuse',
        exceptionFactory: (refusal) => new HttpException({ refusal, code: `CUSTOM_${refusal.toUpperCase()}` }, 418),
      },
    });
    @Module({ imports: [definition], controllers: [PlainController] })
    class Root {}
    ({ app, url } = await bootApp(adapter, Root));
  });
  afterAll(() => app.close());

  const post = (path: string, headers: Record<string, string>) =>
    fetch(`${url}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{}',
    });

  it('applies to every POST with applyTo: mutations, through exceptionFactory', async () => {
    const res = await post('plain', { 'x-test-user': 'alice' });
    expect(res.status).toBe(418);
    expect(await res.json()).toMatchObject({ code: 'CUSTOM_MISSING' });
    const key = randomUUID();
    expect((await post('plain', { 'x-test-user': 'alice', 'idempotency-key': key })).status).toBe(201);
    const again = await post('plain', { 'x-test-user': 'alice', 'idempotency-key': key });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('refuses anonymous callers with anonymous: refuse', async () => {
    const res = await post('plain', { 'idempotency-key': randomUUID() });
    expect(res.status).toBe(418);
    expect(await res.json()).toMatchObject({ code: 'CUSTOM_ANONYMOUS' });
  });
});
