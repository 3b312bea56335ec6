import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { securityException } from '../../core/errors/security-exception';
import { SecurityErrorCode } from '../../core/errors/error-codes';
import { Messages } from '../../core/errors/messages.constant';
import { MemorySecurityStorage } from '../memory/memory.storage';
import { toRecord, type ThrottlerStorageRecord } from '../memory/memory-throttler.storage';
import { storageKey, type SecurityStorage } from '../security-storage.interface';
import { SLIDING_WINDOW } from '../sliding-window.script';
import { RedisSecurityStorage } from './redis.storage';

/** Options of {@link RedisThrottlerStorage}. @publicApi */
export interface RedisThrottlerStorageOptions {
  /** `redis://…` URL; the storage creates the client and closes it on shutdown. */
  url?: string;
  /** An existing ioredis `Redis` or `Cluster` client; never closed by the storage. */
  client?: unknown;
  /** An existing {@link RedisSecurityStorage} (e.g. SecurityModule's); never closed by the storage. */
  storage?: SecurityStorage;
  /**
   * Prefix of every key (outside the `{…}` hash tag). Ignored with `storage`.
   * @default 'rampart:'
   */
  keyPrefix?: string;
  /**
   * A command slower than this counts as a Redis failure. Ignored with `storage`.
   * @default 75
   */
  commandTimeoutMs?: number;
  /**
   * When Redis is down or slow: `true` decides with an in-memory insurance limiter (limits still
   * apply, per instance); `false` answers 503 `STORAGE_UNAVAILABLE`.
   * @default true
   */
  failOpen?: boolean;
  /**
   * Keys held by the insurance limiter.
   * @default 10000
   */
  insuranceMaxEntries?: number;
  /** Called once when Redis starts failing and once when it answers again. Never throws into requests. */
  onStateChange?: (state: 'unavailable' | 'recovered') => void;
}

/** Time between two attempts to reach a failing Redis (requests meanwhile use the policy). */
const PROBE_INTERVAL_MS = 1_000;

/**
 * A Redis `ThrottlerStorage` for `@nestjs/throttler`: a sliding-window counter in one Lua script
 * (EVALSHA, NOSCRIPT fallback), server time (`TIME`), keys `<prefix>{throttler:<key>}:<name>`
 * (Cluster-safe), O(1) per key, idle keys expire. Every command is bounded by a timeout and a
 * Redis outage never hangs nor 500s a request: it is answered by an in-memory insurance limiter
 * (`failOpen`, default) or with a 503.
 *
 * @example
 * ```ts
 * ThrottlerModule.forRoot({
 *   throttlers: [{ ttl: seconds(60), limit: 100 }],
 *   storage: new RedisThrottlerStorage({ url: process.env.REDIS_URL }),
 * })
 * ```
 * @publicApi
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly storage: SecurityStorage;
  private readonly ownsStorage: boolean;
  private readonly insurance: MemorySecurityStorage;
  private readonly failOpen: boolean;
  private readonly onStateChange?: (state: 'unavailable' | 'recovered') => void;
  private connecting?: Promise<void>;
  private readonly timeoutMs: number;
  private degraded = false;
  private nextProbeAt = 0;

  constructor(options: RedisThrottlerStorageOptions) {
    if (options.storage) {
      this.storage = options.storage;
      this.ownsStorage = false;
    } else {
      const storage = new RedisSecurityStorage({
        url: options.url,
        client: options.client,
        keyPrefix: options.keyPrefix,
        commandTimeoutMs: options.commandTimeoutMs,
      });
      this.storage = storage;
      this.ownsStorage = true;
      this.connecting = storage.connect().catch(() => undefined);
    }
    this.timeoutMs = options.commandTimeoutMs ?? 75;
    this.failOpen = options.failOpen ?? true;
    this.insurance = new MemorySecurityStorage({ maxEntries: options.insuranceMaxEntries ?? 10_000 });
    this.onStateChange = options.onStateChange;
  }

  /** Whether the last decisions were taken without Redis. */
  get isDegraded(): boolean {
    return this.degraded;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.connecting) await this.waitForConnection();
    const keys = [storageKey('throttler', key, throttlerName)];
    const args = [
      '1',
      '0',
      '0',
      String(limit),
      String(Math.max(1, Math.ceil(ttl))),
      String(Math.max(0, Math.ceil(blockDuration))),
      '0',
    ];
    if (this.degraded && Date.now() < this.nextProbeAt && !this.storage.isHealthy()) return this.fallback(keys, args);
    try {
      const reply = await this.storage.run(SLIDING_WINDOW, keys, args);
      if (this.degraded) this.switchTo(false);
      return toRecord(reply);
    } catch {
      this.nextProbeAt = Date.now() + PROBE_INTERVAL_MS;
      if (!this.degraded) this.switchTo(true);
      return this.fallback(keys, args);
    }
  }

  /**
   * The first calls wait for the connection this storage opened, but never longer than the command
   * timeout: an unreachable Redis at boot is a failure like any other (policy applies), not a hang.
   */
  private async waitForConnection(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const connected = await Promise.race([
      (this.connecting as Promise<void>).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (connected) this.connecting = undefined;
  }

  /** Closes the client this storage created (Nest calls it on shutdown; call it yourself elsewhere). */
  async onApplicationShutdown(): Promise<void> {
    if (this.ownsStorage) await this.storage.close();
  }

  private fallback(keys: string[], args: string[]): ThrottlerStorageRecord {
    if (!this.failOpen) {
      throw securityException(503, SecurityErrorCode.STORAGE_UNAVAILABLE, Messages.STORAGE_UNAVAILABLE());
    }
    return toRecord(this.insurance.runSync(SLIDING_WINDOW, keys, args));
  }

  private switchTo(degraded: boolean): void {
    this.degraded = degraded;
    try {
      this.onStateChange?.(degraded ? 'unavailable' : 'recovered');
    } catch {
      // A listener must never break a request.
    }
  }
}
