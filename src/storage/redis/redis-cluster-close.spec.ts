import { EventEmitter } from 'node:events';
import { clusterStorageOptions } from '../../../test/utils/redis';
import { refreshSlotsPeriodically } from './redis-cluster.factory';
import { RedisSecurityStorage } from './redis.storage';
import type { RedisClientLike } from './redis-client.interface';

type ClusterClient = RedisClientLike & {
  options: { slotsRefreshInterval?: number };
  refreshSlotsCache(callback?: (error?: Error) => void): void;
  once(event: string, listener: () => void): unknown;
};

/** A cluster client whose slot refreshes complete when the test says so. */
class FakeCluster extends EventEmitter {
  status = 'ready';
  readonly pending: Array<() => void> = [];
  refreshSlotsCache(callback?: () => void): void {
    this.pending.push(() => callback?.());
  }
}

describe('refreshSlotsPeriodically (the slot refresh the library runs instead of ioredis)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('refreshes every interval while the client is ready, one refresh at a time', () => {
    const client = new FakeCluster();
    const stop = refreshSlotsPeriodically(client as never, 1_000);
    jest.advanceTimersByTime(1_000);
    expect(client.pending).toHaveLength(1);
    jest.advanceTimersByTime(5_000);
    expect(client.pending).toHaveLength(1); // the next round waits for this refresh to complete
    client.pending.shift()?.();
    jest.advanceTimersByTime(1_000);
    expect(client.pending).toHaveLength(1);
    stop();
  });

  it.each([
    ['stopped', (_client: FakeCluster, stop: () => void) => stop()],
    ['ended', (client: FakeCluster) => client.emit('end')],
  ])('schedules nothing more once %s while a refresh is in flight', (_name, close) => {
    const client = new FakeCluster();
    const stop = refreshSlotsPeriodically(client as never, 1_000);
    jest.advanceTimersByTime(1_000);
    expect(client.pending).toHaveLength(1);
    close(client, stop);
    client.status = 'end';
    client.pending.shift()?.(); // the in-flight refresh completes after the close
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(client.pending).toHaveLength(0);
  });
});

describe('RedisSecurityStorage on storage.cluster: close()', () => {
  it('ends the client even when closed while a slot refresh is in flight, with ioredis’s own refresh loop off', async () => {
    const { type: _type, ...options } = clusterStorageOptions('cluster-close');
    const storage = new RedisSecurityStorage(options);
    await storage.connect();
    const client = (storage as unknown as { client: ClusterClient }).client;
    // ioredis restarts its own slotsRefreshInterval timer when a refresh is in flight at quit().
    expect(client.options.slotsRefreshInterval).toBe(0);
    const ended = new Promise<void>((resolve) => client.once('end', resolve));
    // Close the storage right when the periodic slot refresh starts (same tick: its reply cannot
    // have arrived yet), so the refresh is in flight during close() and completes after it.
    const refresh = client.refreshSlotsCache.bind(client);
    let refreshed!: Promise<void>;
    const periodic = new Promise<void>((started) => {
      client.refreshSlotsCache = (callback) => {
        refreshed = new Promise<void>((resolve) =>
          refresh((error) => {
            callback?.(error ?? undefined);
            resolve();
          }),
        );
        client.refreshSlotsCache = refresh;
        started();
      };
    });
    await periodic;
    await storage.close();
    await ended;
    await refreshed;
    expect(client.status).toBe('end');
  });
});
