import { SecurityConfigError } from '../../core/errors/security-config.error';
import type { RedisClientLike } from './redis-client.interface';

interface IoRedisModule {
  default?: new (url: string, options: object) => RedisClientLike;
  Redis?: new (url: string, options: object) => RedisClientLike;
  Cluster?: new (nodes: object[], options: object) => RedisClientLike;
}

/**
 * Loads the optional peer `ioredis` lazily, so apps on the memory store need not install it.
 *
 * @internal
 */
export function loadIoRedis(): new (url: string, options: object) => RedisClientLike {
  const mod = requireIoRedis();
  const ctor = mod.Redis ?? mod.default;
  if (!ctor) throw SecurityConfigError.create('storage', 'could not load ioredis', 'Install ioredis 5 or 6');
  return ctor;
}

/** ioredis's `Cluster` class, loaded lazily like {@link loadIoRedis}. @internal */
export function loadIoRedisCluster(): new (nodes: object[], options: object) => RedisClientLike {
  const ctor = requireIoRedis().Cluster;
  if (!ctor) throw SecurityConfigError.create('storage.cluster', 'could not load ioredis', 'Install ioredis 5 or 6');
  return ctor;
}

function requireIoRedis(): IoRedisModule {
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
  return mod;
}
