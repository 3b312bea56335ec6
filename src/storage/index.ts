export * from './security-storage.interface';
export * from './storage-unavailable.error';
export * from './memory/memory.storage';
export * from './redis/redis.storage';
