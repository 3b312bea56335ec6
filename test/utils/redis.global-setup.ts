import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRedisCluster } from '../fixtures/redis-cluster';
import { spawnRedis } from '../fixtures/redis-server';

/**
 * Jest global setup, once per run. Standalone Redis: uses `REDIS_URL` when set, otherwise spawns a
 * private `redis-server` on a free loopback port (persistence off) and publishes its URL to the
 * test workers as `REDIS_URL`. Redis Cluster: uses `REDIS_CLUSTER_URL` (any node of a cluster the
 * tests may use) when set, otherwise starts 3 masters + 3 replicas on free loopback ports and
 * publishes its seed node the same way, as `REDIS_CLUSTER_URL`, and every node as
 * `REDIS_CLUSTER_NODES` (`host:port,…`, the `storage.cluster.nodes` of the cluster suites).
 */
export default async function globalSetup(): Promise<void> {
  const state: { url?: string; pid?: number; clusterUrl?: string; clusterPids?: number[] } = {};
  if (!process.env.REDIS_URL) {
    const redis = await spawnRedis();
    process.env.REDIS_URL = redis.url;
    process.env.RAMPART_SPAWNED_REDIS_PID = String(redis.pid);
    Object.assign(state, { url: redis.url, pid: redis.pid });
    (globalThis as { __RAMPART_REDIS__?: typeof redis }).__RAMPART_REDIS__ = redis;
  }
  if (!process.env.REDIS_CLUSTER_URL) {
    const cluster = await spawnRedisCluster();
    process.env.REDIS_CLUSTER_URL = cluster.url;
    process.env.REDIS_CLUSTER_NODES = cluster.startupNodes.map((n) => `${n.host}:${n.port}`).join(',');
    Object.assign(state, { clusterUrl: cluster.url, clusterPids: cluster.nodes.map((n) => n.pid) });
    (globalThis as { __RAMPART_REDIS_CLUSTER__?: typeof cluster }).__RAMPART_REDIS_CLUSTER__ = cluster;
  }
  // The sample app's suites run it on this Redis. A test process starved of CPU (a busy machine)
  // can take longer than the library's 75 ms to read a reply; the outage suites set their own.
  process.env.REDIS_COMMAND_TIMEOUT_MS ??= '2000';
  if (state.url || state.clusterUrl) {
    writeFileSync(join(tmpdir(), `rampart-redis-${process.pid}.json`), JSON.stringify(state));
  }
}
