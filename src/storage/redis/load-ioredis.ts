import { SecurityConfigError } from '../../core/errors/security-config.error';
import type { RedisClientLike } from './redis-client.interface';

interface IoRedisModule {
  default?: new (url: string, options: object) => RedisClientLike;
  Redis?: new (url: string, options: object) => RedisClientLike;
}

/**
 * Loads the optional peer `ioredis` lazily, so apps on the memory store need not install it.
 *
 * @internal
 */
export function loadIoRedis(): new (url: string, options: object) => RedisClientLike {
  let mod: IoRedisModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('ioredis') as IoRedisModule;
  } catch {
    throw SecurityConfigError.create(
      'storage',
      'is "redis" but the package "ioredis" is not installed',
      'Run `npm install ioredis`, or use storage: { type: "memory" }',
    );
  }
  const ctor = mod.Redis ?? mod.default;
  if (!ctor) throw SecurityConfigError.create('storage', 'could not load ioredis', 'Install ioredis 5 or 6');
  return ctor;
}
