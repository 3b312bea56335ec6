import { SecurityConfigError } from '../../core/errors/security-config.error';
import { describe, readSection, refuseUnknownKeys, type Raw } from '../../core/options/validate.util';
import { loadIoRedisCluster } from './load-ioredis';
import type { RedisClientLike } from './redis-client.interface';

/** One seed node of a Redis Cluster. @publicApi */
export interface RedisClusterNode {
  host: string;
  port: number;
}

/**
 * A Redis Cluster SecurityModule connects to itself (`storage.cluster`): an ioredis `Cluster` on
 * these seed nodes, created and closed by SecurityModule.
 *
 * @publicApi
 */
export interface RedisClusterOptions {
  /** Seed nodes (any reachable ones: the client discovers the rest from `CLUSTER SLOTS`). */
  nodes: RedisClusterNode[];
  /**
   * ioredis `ClusterOptions` merged over the library's defaults (`redisOptions` merged key by
   * key): for instance `{ redisOptions: { password, tls: {} } }`, `natMap`, `dnsLookup`.
   * `scaleReads` may only be `'master'`: a read from a replica can miss a revocation just written.
   * @default see {@link clusterClientOptions}
   */
  options?: Record<string, unknown>;
}

/** @internal */
export const CLUSTER_KEYS = ['nodes', 'options'] as const;

/**
 * The `ClusterOptions` SecurityModule gives ioredis. No offline queue and no retries, so an
 * outage fails fast (every command is also bounded by `commandTimeoutMs`, by the storage); a slot
 * map refreshed every second, because ioredis refreshes it on MOVED but not when a master just
 * stops answering, so without it a promoted replica would go unseen; reads from masters only;
 * a ready check, so commands start once the cluster reports `cluster_state:ok`.
 *
 * @internal
 */
export function clusterClientOptions(user: Record<string, unknown> = {}): Record<string, unknown> {
  const { redisOptions, ...rest } = user;
  return {
    enableOfflineQueue: false,
    enableReadyCheck: true,
    lazyConnect: true,
    scaleReads: 'master',
    slotsRefreshInterval: 1_000,
    slotsRefreshTimeout: 1_000,
    clusterRetryStrategy: (times: number) => Math.min(100 * times, 1_000),
    ...rest,
    redisOptions: {
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      // No `commandTimeout`: RedisSecurityStorage bounds every command itself.
      ...(redisOptions as Record<string, unknown> | undefined),
    },
  };
}

/** Creates the ioredis `Cluster` for `storage.cluster` (not connected: `lazyConnect`). @internal */
export function createRedisClusterClient(cluster: RedisClusterOptions): RedisClientLike {
  const Cluster = loadIoRedisCluster();
  return new Cluster(
    cluster.nodes.map(({ host, port }) => ({ host, port })),
    clusterClientOptions(cluster.options),
  );
}

/** Validates `storage.cluster` at boot. @internal */
export function resolveClusterOptions(value: unknown, path: string): RedisClusterOptions {
  const raw = readSection(value, path);
  refuseUnknownKeys(raw, CLUSTER_KEYS, path);
  if (!Array.isArray(raw.nodes) || raw.nodes.length === 0) {
    throw SecurityConfigError.create(
      `${path}.nodes`,
      `must be a non-empty array of { host, port }, got ${Array.isArray(raw.nodes) ? 'an empty array' : describe(raw.nodes)}`,
      'List at least one node of the cluster, e.g. nodes: [{ host: "10.0.0.1", port: 6379 }]',
    );
  }
  const nodes = raw.nodes.map((node: unknown, i: number) => readNode(node, `${path}.nodes[${i}]`));
  const options = raw.options === undefined ? undefined : readSection(raw.options, `${path}.options`);
  if (options && options.scaleReads !== undefined && options.scaleReads !== 'master') {
    throw SecurityConfigError.create(
      `${path}.options.scaleReads`,
      'must be "master": replicas lag behind their master, so a read there can miss a token revocation or an idempotency record just written',
      'Remove scaleReads (SecurityModule reads from masters)',
    );
  }
  return options ? { nodes, options } : { nodes };
}

function readNode(value: unknown, path: string): RedisClusterNode {
  const raw: Raw = readSection(value, path);
  refuseUnknownKeys(raw, ['host', 'port'], path);
  if (typeof raw.host !== 'string' || raw.host.trim() === '') {
    throw SecurityConfigError.create(`${path}.host`, 'must be a non-empty string', "Give the node's host name or IP");
  }
  const port = raw.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw SecurityConfigError.create(`${path}.port`, 'must be an integer port between 1 and 65535', 'E.g. port: 6379');
  }
  return { host: raw.host, port };
}
