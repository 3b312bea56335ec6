import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpawnedRedis } from '../fixtures/redis-server';

/** Jest global teardown: stops the redis-server the setup spawned (never one it was given). */
export default async function globalTeardown(): Promise<void> {
  const redis = (globalThis as { __RAMPART_REDIS__?: SpawnedRedis }).__RAMPART_REDIS__;
  if (redis) await redis.stop();
  rmSync(join(tmpdir(), `rampart-redis-${process.pid}.json`), { force: true });
}
