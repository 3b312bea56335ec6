import { randomBytes } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { RedisSecurityStorage } from '../../src/storage/redis/redis.storage';

/** The URL of the run's Redis (spawned by the global setup, or `REDIS_URL`). */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests through jest (global setup spawns redis-server)');
  return url;
}

/** A seed node of the run's Redis Cluster (spawned by the global setup, or `REDIS_CLUSTER_URL`). */
export function redisClusterUrl(): string {
  const url = process.env.REDIS_CLUSTER_URL;
  if (!url) throw new Error('REDIS_CLUSTER_URL is not set: run the tests through jest (global setup spawns a cluster)');
  return url;
}

/** The Redis deployments the Redis e2e suites run on. */
export const REDIS_TARGETS = ['standalone', 'cluster'] as const;
export type RedisTarget = (typeof REDIS_TARGETS)[number];

/** A unique key prefix per suite, so suites never see each other's keys. */
export function uniquePrefix(suite: string): string {
  return `test:${suite}:${randomBytes(4).toString('hex')}:`;
}

/**
 * A connected ioredis `Cluster` client on `seed` (the run's cluster by default), set up like the
 * client RedisSecurityStorage creates from a URL: no offline queue, no retries, bounded commands,
 * so an outage fails fast instead of queueing; and a periodic slot refresh, so a failover is seen.
 * The caller closes it (`quit()`/`disconnect()`).
 */
export async function createClusterClient(
  commandTimeoutMs = 1_000,
  seeds: Array<{ host: string; port: number }> = [seedOf(redisClusterUrl())],
): Promise<Cluster> {
  const { Cluster } = await import('ioredis');
  const cluster = new Cluster(seeds, {
    enableOfflineQueue: false,
    lazyConnect: true,
    clusterRetryStrategy: (times: number) => Math.min(100 * times, 1_000),
    slotsRefreshTimeout: 1_000,
    // ioredis 5 refreshes its slot map on MOVED, not when a master's connection just dies or
    // times out: without a periodic refresh it never learns a replica was promoted (commands to
    // the dead master time out forever). One second bounds how long a failover stays unseen.
    slotsRefreshInterval: 1_000,
    redisOptions: {
      commandTimeout: commandTimeoutMs,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
    },
  });
  cluster.on('error', () => undefined); // reported through the storage's own health
  await cluster.connect();
  return cluster;
}

function seedOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}

/** A RedisSecurityStorage on a Cluster client it closes itself (test convenience). */
class ClusterTestStorage extends RedisSecurityStorage {
  constructor(
    private readonly cluster: Cluster,
    keyPrefix: string,
    commandTimeoutMs: number,
  ) {
    super({ client: cluster, keyPrefix, commandTimeoutMs });
  }
  override async close(): Promise<void> {
    await super.close();
    await this.cluster.quit().catch(() => this.cluster.disconnect());
  }
}

/**
 * A connected Redis storage on the run's Redis (or, with `target: 'cluster'`, on its Redis Cluster
 * through an ioredis `Cluster` client passed as `client`) with its own prefix. Close it in afterAll.
 */
export async function createTestRedisStorage(
  suite: string,
  commandTimeoutMs = 1_000,
  target: RedisTarget = 'standalone',
): Promise<RedisSecurityStorage> {
  if (target === 'cluster') {
    return new ClusterTestStorage(await createClusterClient(commandTimeoutMs), uniquePrefix(suite), commandTimeoutMs);
  }
  const storage = new RedisSecurityStorage({ url: redisUrl(), keyPrefix: uniquePrefix(suite), commandTimeoutMs });
  await storage.connect();
  return storage;
}
