import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpawnedRedisCluster } from '../fixtures/redis-cluster';
import type { SpawnedRedis } from '../fixtures/redis-server';

/**
 * Jest global teardown: stops the redis-server and the Redis Cluster the setup spawned (never one
 * it was given) and removes the cluster's node files.
 */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { __RAMPART_REDIS__?: SpawnedRedis; __RAMPART_REDIS_CLUSTER__?: SpawnedRedisCluster };
  await Promise.all([state.__RAMPART_REDIS__?.stop(), state.__RAMPART_REDIS_CLUSTER__?.stop()]);
  rmSync(join(tmpdir(), `rampart-redis-${process.pid}.json`), { force: true });
}
