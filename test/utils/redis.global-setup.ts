import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRedis } from '../fixtures/redis-server';

/**
 * Jest global setup: uses `REDIS_URL` when set, otherwise spawns a private `redis-server` on a free
 * loopback port (persistence off) and publishes its URL to the test workers as `REDIS_URL`.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL) return;
  const redis = await spawnRedis();
  process.env.REDIS_URL = redis.url;
  process.env.RAMPART_SPAWNED_REDIS_PID = String(redis.pid);
  writeFileSync(
    join(tmpdir(), `rampart-redis-${process.pid}.json`),
    JSON.stringify({ url: redis.url, pid: redis.pid }),
  );
  (globalThis as { __RAMPART_REDIS__?: typeof redis }).__RAMPART_REDIS__ = redis;
}
