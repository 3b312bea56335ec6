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

/** How often the slot map of a cluster SecurityModule creates is refreshed, by default. @internal */
export const SLOTS_REFRESH_INTERVAL_MS = 1_000;

/**
 * The `ClusterOptions` SecurityModule gives ioredis. No offline queue and no retries, so an
 * outage fails fast (every command is also bounded by `commandTimeoutMs`, by the storage); reads
 * from masters only; a ready check, so commands start once the cluster reports `cluster_state:ok`.
 *
 * ioredis's own periodic slot refresh is turned off (`slotsRefreshInterval: 0`): when the client
 * is closed while one of its refreshes is in flight, the refresh's callback re-arms the timer
 * after `quit()` cleared it, and it then runs forever and keeps the process alive.
 * {@link refreshSlotsPeriodically} does it instead, at the user's `slotsRefreshInterval` if given.
 *
 * @internal
 */
export function clusterClientOptions(user: Record<string, unknown> = {}): Record<string, unknown> {
  const { redisOptions, slotsRefreshInterval: _refreshedByUs, ...rest } = user;
  return {
    enableOfflineQueue: false,
    enableReadyCheck: true,
    lazyConnect: true,
    scaleReads: 'master',
    slotsRefreshTimeout: 1_000,
    clusterRetryStrategy: (times: number) => Math.min(100 * times, 1_000),
    ...rest,
    slotsRefreshInterval: 0,
    redisOptions: {
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      // No `commandTimeout`: RedisSecurityStorage bounds every command itself.
      ...(redisOptions as Record<string, unknown> | undefined),
    },
  };
}

/**
 * Refreshes a Cluster client's slot map every `intervalMs` while it is ready: ioredis refreshes
 * it on MOVED but not when a master just stops answering, so without this a promoted replica
 * would go unseen. Unlike ioredis's `slotsRefreshInterval`, it never re-arms once stopped or once
 * the client has ended (a refresh in flight at close time included), and its timer is unref'd,
 * so it can never keep the process alive. Returns the function that stops it.
 *
 * @internal
 */
export function refreshSlotsPeriodically(
  client: Pick<RedisClientLike, 'status' | 'on' | 'refreshSlotsCache'>,
  intervalMs: number,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    clearTimeout(timer);
  };
  const next = (): void => {
    if (stopped || client.status === 'end') return;
    timer = setTimeout(() => {
      if (client.status === 'ready' && client.refreshSlotsCache) client.refreshSlotsCache(next);
      else next();
    }, intervalMs);
    timer.unref();
  };
  client.on('end', stop);
  next();
  return stop;
}

/**
 * Creates the ioredis `Cluster` for `storage.cluster` (not connected: `lazyConnect`) and starts
 * its slot refresh; the caller stops it with `stopRefresh` when it closes the client. @internal
 */
export function createRedisClusterClient(cluster: RedisClusterOptions): {
  client: RedisClientLike;
  stopRefresh: () => void;
} {
  const Cluster = loadIoRedisCluster();
  const client: RedisClientLike = new Cluster(
    cluster.nodes.map(({ host, port }) => ({ host, port })),
    clusterClientOptions(cluster.options),
  );
  const interval = cluster.options?.slotsRefreshInterval;
  const intervalMs = typeof interval === 'number' ? interval : SLOTS_REFRESH_INTERVAL_MS;
  const stopRefresh = intervalMs > 0 ? refreshSlotsPeriodically(client, intervalMs) : () => undefined;
  return { client, stopRefresh };
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
