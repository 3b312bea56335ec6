import { Injectable, Inject, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { StorageFeatureOptions } from './storage.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { SecurityEventType } from '../core/events/security-event.interface';
import type { SecurityEvents } from '../core/events/security-events.service';
import { MemorySecurityStorage } from './memory/memory.storage';
import { RedisSecurityStorage } from './redis/redis.storage';
import { SecurityStorage } from './security-storage.interface';

/**
 * Builds the storage named by the resolved options (or returns the instance given). A memory
 * store reports a full security partition once per episode (`STORAGE_UNAVAILABLE`, with the
 * partition and its bound) and its recovery once (`STORAGE_RECOVERED`, with the refused count).
 *
 * @internal
 */
export function createSecurityStorage(options: StorageFeatureOptions, events?: SecurityEvents): SecurityStorage {
  const config = options.storage;
  if (!('type' in config)) return config;
  if (config.type === 'memory') {
    return new MemorySecurityStorage({
      maxEntries: config.maxEntries,
      partitions: config.partitions,
      onPartitionFull: (report) =>
        events?.emit({
          type: SecurityEventType.STORAGE_UNAVAILABLE,
          outcome: 'failure',
          reason: 'memory_partition_full',
          details: { ...report },
        }),
      onPartitionAvailable: (report) =>
        events?.emit({
          type: SecurityEventType.STORAGE_RECOVERED,
          outcome: 'info',
          reason: 'memory_partition_available',
          details: { ...report },
        }),
    });
  }
  const redis = new RedisSecurityStorage(config);
  if (events?.metrics.enabled) {
    const metrics = events.metrics;
    redis.observeRoundTrips((operation, seconds, ok) => metrics.storageRoundTrip(operation, seconds, ok));
  }
  return redis;
}

/**
 * Connects the storage at boot and closes what SecurityModule created at shutdown. A Redis that
 * is down at boot does not stop the app: features apply their failure policy until it is back.
 *
 * @internal
 */
@Injectable()
export class SecurityStorageLifecycle implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SecurityStorage');

  constructor(
    @Inject(SecurityStorage) private readonly storage: SecurityStorage,
    @Inject(SECURITY_OPTIONS) private readonly options: StorageFeatureOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.storage instanceof RedisSecurityStorage) {
      const connected = await this.storage.connect().then(
        () => true,
        () => {
          this.logger.warn('Redis is not reachable at boot; retrying in the background');
          return false;
        },
      );
      if (connected) await this.checkEvictionPolicy(this.storage);
    }
  }

  /**
   * Revocations, refresh families, idempotency records and nonces all carry a ttl, so any policy
   * but `noeviction` (`volatile-*` included) lets a full Redis silently forget them: a revoked
   * token would work again. Warned once at boot; a server that hides CONFIG is not an error.
   */
  private async checkEvictionPolicy(storage: RedisSecurityStorage): Promise<void> {
    const policy = await storage.evictionPolicy().catch(() => undefined);
    if (policy === undefined || policy === 'noeviction') return;
    this.logger.warn(
      `Redis maxmemory-policy is "${policy}": when Redis reaches maxmemory it may evict token revocations, ` +
        'idempotency records and replay nonces, and a revoked token would be accepted again. ' +
        'Set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction): ' +
        'a full Redis then refuses writes and SecurityModule fails closed (503).',
    );
  }

  async onModuleDestroy(): Promise<void> {
    // A storage instance passed in options belongs to the caller.
    if ('type' in this.options.storage) await this.storage.close();
  }
}
