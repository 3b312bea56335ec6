import { SecurityEvents } from '../core/events/security-events.service';
import type { SecurityEvent } from '../core/events/security-event.interface';
import { resolveSecurityOptions } from '../core/options/resolve-options';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { ScriptReply, SecurityStorage, StorageScript } from '../storage/security-storage.interface';
import { createTestRedisStorage } from '../../test/utils/redis';
import { RedisSecurityStorage } from '../storage/redis/redis.storage';
import { SLIDING_WINDOW, SLIDING_WINDOW_BATCH } from '../storage/sliding-window.script';
import { StorageUnavailableError } from '../storage/storage-unavailable.error';
import { RateLimiterService } from './rate-limiter.service';

/** A shared store that can be switched off: delegates to memory while up, rejects while down. */
class SwitchableStorage implements SecurityStorage {
  readonly kind = 'switchable';
  private readonly inner = new MemorySecurityStorage();
  down = false;
  calls = 0;
  get = (key: string) => this.inner.get(key);
  getMany = (keys: readonly string[]) => this.inner.getMany(keys);
  set = (key: string, value: string, ttlMs: number) => this.inner.set(key, value, ttlMs);
  delete = (key: string) => this.inner.delete(key);
  compareAndSet = (key: string, expected: string | null, value: string | null, ttlMs: number) =>
    this.inner.compareAndSet(key, expected, value, ttlMs);
  increment = (key: string, by: number, ttlMs: number) => this.inner.increment(key, by, ttlMs);
  close = () => this.inner.close();
  async run<R extends ScriptReply>(
    script: StorageScript<R>,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<R> {
    this.calls++;
    if (this.down) throw new StorageUnavailableError('connection refused');
    return this.inner.run(script, keys, args);
  }
  isHealthy(): boolean {
    return !this.down;
  }
}

const ARGS = ['1', '0', '0', '2', '60000', '0', '0'];

function setup(failOpen: boolean) {
  const events: SecurityEvent[] = [];
  const options = resolveSecurityOptions({
    events: { logger: false, sinks: [(e) => events.push(e)] },
    rateLimit: { failOpen },
  });
  const storage = new SwitchableStorage();
  const service = new RateLimiterService(storage, options, new SecurityEvents(options));
  return { events, storage, service };
}

describe('RateLimiterService', () => {
  it('decides synchronously on the memory store', () => {
    const options = resolveSecurityOptions({ events: { enabled: false } });
    const service = new RateLimiterService(new MemorySecurityStorage(), options, new SecurityEvents(options));
    const reply = service.run(SLIDING_WINDOW, ['k'], ARGS);
    expect(Array.isArray(reply)).toBe(true);
    expect((reply as number[])[0]).toBe(1);
  });

  it('fails open onto the insurance limiter, reports the switch once, probes at most once a second, recovers', async () => {
    const { events, storage, service } = setup(true);
    expect((await service.run(SLIDING_WINDOW, ['k'], ARGS))[0]).toBe(1);
    storage.down = true;
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push((await service.run(SLIDING_WINDOW, ['k'], ARGS))[0]);
    // The insurance limiter starts empty but still enforces the limit (2).
    expect(replies).toEqual([1, 1, 0, 0]);
    expect(storage.calls).toBe(2); // one success, one failure; then no call until the probe time
    expect(service.isDegraded).toBe(true);
    expect(events.filter((e) => e.type === 'STORAGE_UNAVAILABLE')).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'failure', details: { policy: 'fail_open_insurance_limiter' } });
    storage.down = false; // healthy again: the next call goes to the store
    expect((await service.run(SLIDING_WINDOW, ['k'], ARGS))[0]).toBe(1);
    expect(service.isDegraded).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['STORAGE_UNAVAILABLE', 'STORAGE_RECOVERED']);
  });

  it('fails closed with 503 STORAGE_UNAVAILABLE when failOpen is false', async () => {
    const { storage, service } = setup(false);
    storage.down = true;
    await expect(service.run(SLIDING_WINDOW, ['k'], ARGS)).rejects.toMatchObject({
      status: 503,
      response: { code: 'STORAGE_UNAVAILABLE' },
    });
  });
});

describe('RateLimiterService on a standalone Redis server (batched decisions)', () => {
  const limit5 = ['1', '0', '0', '5', '60000', '0', '0'];
  const decide = (service: RateLimiterService, key: string) =>
    service.decide([key], limit5, Float64Array.from(limit5, Number)) as Promise<number[]>;
  let storage: RedisSecurityStorage;
  beforeEach(async () => {
    storage = await createTestRedisStorage('rate-limiter-batch');
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await storage.close();
  });

  it('sends the decisions of one turn of the event loop as one script, in order, with exact limits', async () => {
    const options = resolveSecurityOptions({ events: { enabled: false } });
    const service = new RateLimiterService(storage, options, new SecurityEvents(options));
    const run = jest.spyOn(storage, 'run');

    const replies = await Promise.all(Array.from({ length: 12 }, () => decide(service, '{rl:batch}:k')));
    expect(replies.map((r) => r[0])).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(replies.map((r) => r[2])).toEqual([4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0]); // remaining
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0][0]).toBe(SLIDING_WINDOW_BATCH);

    // A decision alone in its turn is a plain SLIDING_WINDOW run.
    run.mockClear();
    expect((await decide(service, '{rl:batch}:other'))[0]).toBe(1);
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0][0]).toBe(SLIDING_WINDOW);
  });

  it('sends what arrives while a batch is in flight together, when that batch answers', async () => {
    const options = resolveSecurityOptions({ events: { enabled: false } });
    const service = new RateLimiterService(storage, options, new SecurityEvents(options));
    const run = jest.spyOn(storage, 'run');

    const first = decide(service, '{rl:nagle}:k');
    await new Promise((resolve) => setImmediate(resolve)); // the first decision is now in flight
    expect(run).toHaveBeenCalledTimes(1);
    const later = Array.from({ length: 5 }, () => decide(service, '{rl:nagle}:k'));
    expect(run).toHaveBeenCalledTimes(1); // they wait for the first one's reply
    const replies = await Promise.all([first, ...later]);
    expect(replies.map((r) => r[0])).toEqual([1, 1, 1, 1, 1, 0]);
    expect(run.mock.calls.map((c) => [c[0], c[1].length])).toEqual([
      [SLIDING_WINDOW, 1],
      [SLIDING_WINDOW_BATCH, 5],
    ]);
  });

  it('does not make decisions wait behind a batch that failed (one timeout at most)', async () => {
    const options = resolveSecurityOptions({ events: { enabled: false } });
    const service = new RateLimiterService(storage, options, new SecurityEvents(options));
    const run = jest
      .spyOn(storage, 'run')
      .mockImplementation(
        () => new Promise((_resolve, reject) => setTimeout(() => reject(new StorageUnavailableError('timeout')), 50)),
      );

    const started = Date.now();
    const first = decide(service, '{rl:stall}:k');
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = Array.from({ length: 3 }, () => decide(service, '{rl:stall}:k'));
    const replies = await Promise.all([first, ...waiting]);
    expect(Date.now() - started).toBeLessThan(500);
    expect(run).toHaveBeenCalledTimes(1); // the waiting ones never went to the stalled store
    expect(replies.map((r) => r[0])).toEqual([1, 1, 1, 1]); // decided by the insurance limiter
  });

  it('applies the failure policy to every decision of a failed batch', async () => {
    const events: SecurityEvent[] = [];
    const options = resolveSecurityOptions({ events: { logger: false, sinks: [(e) => events.push(e)] } });
    const service = new RateLimiterService(storage, options, new SecurityEvents(options));
    jest.spyOn(storage, 'run').mockRejectedValue(new StorageUnavailableError('timeout'));

    const replies = await Promise.all(Array.from({ length: 7 }, () => decide(service, '{rl:batch}:down')));
    // failOpen: the insurance limiter still limits, per instance.
    expect(replies.map((r) => r[0])).toEqual([1, 1, 1, 1, 1, 0, 0]);
    expect(events.filter((e) => e.type === 'STORAGE_UNAVAILABLE')).toHaveLength(1);
    expect(service.isDegraded).toBe(true);
  });

  it('refuses with 503 every decision of a failed batch under failClosed', async () => {
    const options = resolveSecurityOptions({ events: { enabled: false }, rateLimit: { failOpen: false } });
    const service = new RateLimiterService(storage, options, new SecurityEvents(options));
    jest.spyOn(storage, 'run').mockRejectedValue(new StorageUnavailableError('timeout'));

    const settled = await Promise.allSettled(Array.from({ length: 3 }, () => decide(service, '{rl:batch}:closed')));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const s of settled) expect((s as PromiseRejectedResult).reason).toMatchObject({ status: 503 });
  });

  it('does not batch on a Redis Cluster client (keys of different clients live on different slots)', async () => {
    const clusterClient = { isCluster: true, status: 'ready', on: () => clusterClient };
    expect(new RedisSecurityStorage({ client: clusterClient }).crossSlotScripts).toBe(false);
    expect(storage.crossSlotScripts).toBe(true);
    // The same server seen as a cluster: every decision is its own script run.
    const cluster = new RedisSecurityStorage({
      client: storage.getClient(),
      keyPrefix: `test:rl-cluster:${Date.now()}:`,
    });
    Object.defineProperty(cluster, 'crossSlotScripts', { value: false });
    const options = resolveSecurityOptions({ events: { enabled: false } });
    const service = new RateLimiterService(cluster, options, new SecurityEvents(options));
    const run = jest.spyOn(cluster, 'run');
    await Promise.all([decide(service, '{rl:a}:k'), decide(service, '{rl:b}:k'), decide(service, '{rl:c}:k')]);
    expect(run.mock.calls.map((c) => c[0])).toEqual([SLIDING_WINDOW, SLIDING_WINDOW, SLIDING_WINDOW]);
  });
});
