import { clusterStorageOptions } from '../../../test/utils/redis';
import { RedisSecurityStorage } from './redis.storage';
import type { RedisClientLike } from './redis-client.interface';

type ClusterClient = RedisClientLike & {
  refreshSlotsCache(callback?: (error?: Error) => void): void;
  once(event: string, listener: () => void): unknown;
};

const timeouts = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('RedisSecurityStorage on storage.cluster: close()', () => {
  it('leaves no slot-refresh timer behind when closed while a slot refresh is in flight', async () => {
    const { type: _type, ...options } = clusterStorageOptions('cluster-close');
    const before = timeouts();
    const storage = new RedisSecurityStorage(options);
    await storage.connect();
    const client = (storage as unknown as { client: ClusterClient }).client;
    const ended = new Promise<void>((resolve) => client.once('end', resolve));
    // Close the storage right when the periodic slot refresh starts (same tick: its reply cannot
    // have arrived yet), so the refresh is in flight during close() and completes after it.
    const refresh = client.refreshSlotsCache.bind(client);
    let refreshed!: Promise<void>;
    const periodic = new Promise<void>((started) => {
      client.refreshSlotsCache = (callback) => {
        refresh(callback);
        refreshed = new Promise<void>((resolve) => refresh(() => resolve()));
        client.refreshSlotsCache = refresh;
        started();
      };
    });
    await periodic;
    await storage.close();
    await ended;
    await refreshed;
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.status).toBe('end');
    expect(timeouts()).toBeLessThanOrEqual(before);
  });
});
