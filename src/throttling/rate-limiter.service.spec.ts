import { SecurityEvents } from '../core/events/security-events.service';
import type { SecurityEvent } from '../core/events/security-event.interface';
import { resolveSecurityOptions } from '../security.options';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { ScriptReply, SecurityStorage, StorageScript } from '../storage/security-storage.interface';
import { SLIDING_WINDOW } from '../storage/sliding-window.script';
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
