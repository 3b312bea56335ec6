import { randomBytes } from 'node:crypto';
import { RedisSecurityStorage } from '../../src/storage/redis/redis.storage';

/** The URL of the run's Redis (spawned by the global setup, or `REDIS_URL`). */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests through jest (global setup spawns redis-server)');
  return url;
}

/** A unique key prefix per suite, so suites never see each other's keys. */
export function uniquePrefix(suite: string): string {
  return `test:${suite}:${randomBytes(4).toString('hex')}:`;
}

/** A connected Redis storage on the run's Redis with its own prefix. Close it in afterAll. */
export async function createTestRedisStorage(suite: string, commandTimeoutMs = 1_000): Promise<RedisSecurityStorage> {
  const storage = new RedisSecurityStorage({ url: redisUrl(), keyPrefix: uniquePrefix(suite), commandTimeoutMs });
  await storage.connect();
  return storage;
}
