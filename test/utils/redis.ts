import { randomBytes } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { refreshSlotsPeriodically } from '../../src/storage/redis/redis-cluster.factory';
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

/**
 * Every node of the run's Redis Cluster (`REDIS_CLUSTER_NODES`, `host:port,…`, published by the
 * global setup), or its seed node alone when only `REDIS_CLUSTER_URL` is set.
 */
export function redisClusterNodes(): Array<{ host: string; port: number }> {
  const list = process.env.REDIS_CLUSTER_NODES;
  if (!list) return [seedOf(redisClusterUrl())];
  return list.split(',').map((node) => {
    const at = node.lastIndexOf(':');
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
  });
}

/**
 * The `storage` option for the run's Redis Cluster, through `storage.cluster` (SecurityModule
 * creates and closes the ioredis `Cluster` itself), with a key prefix of its own.
 */
export function clusterStorageOptions(
  suite: string,
  commandTimeoutMs = 1_000,
  nodes = redisClusterNodes(),
): {
  type: 'redis';
  cluster: { nodes: Array<{ host: string; port: number }> };
  keyPrefix: string;
  commandTimeoutMs: number;
} {
  return { type: 'redis', cluster: { nodes }, keyPrefix: uniquePrefix(suite), commandTimeoutMs };
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
    // Not ioredis's `slotsRefreshInterval`: closed during one of its refreshes, it re-arms its
    // timer forever and Jest never exits; refreshSlotsPeriodically stops at 'end'.
    slotsRefreshInterval: 0,
    redisOptions: {
      commandTimeout: commandTimeoutMs,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
    },
  });
  cluster.on('error', () => undefined); // reported through the storage's own health
  refreshSlotsPeriodically(cluster, 1_000);
  await cluster.connect();
  return cluster;
}

function seedOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}

/**
 * A connected Redis storage on the run's Redis (or, with `target: 'cluster'`, on its Redis Cluster
 * through the `cluster` option, the storage creating its own ioredis `Cluster`) with its own
 * prefix. Close it in afterAll.
 */
export async function createTestRedisStorage(
  suite: string,
  commandTimeoutMs = 1_000,
  target: RedisTarget = 'standalone',
): Promise<RedisSecurityStorage> {
  const { type: _type, ...options } =
    target === 'cluster'
      ? clusterStorageOptions(suite, commandTimeoutMs)
      : { type: 'redis' as const, url: redisUrl(), keyPrefix: uniquePrefix(suite), commandTimeoutMs };
  const storage = new RedisSecurityStorage(options);
  await storage.connect();
  return storage;
}
