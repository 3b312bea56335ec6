import { createHash } from 'node:crypto';
import type { ScriptReply, SecurityStorage, StorageScript } from '../security-storage.interface';
import { StorageUnavailableError } from '../storage-unavailable.error';
import { checkIncrementArgs, COMPARE_AND_SET, INCREMENT } from './core-scripts';
import { loadIoRedis } from './load-ioredis';
import type { RedisClientLike } from './redis-client.interface';
import { createRedisClusterClient, type RedisClusterOptions } from './redis-cluster.factory';
import { DEFAULT_KEY_PREFIX } from '../storage.options';

/** Options of {@link RedisSecurityStorage}. @publicApi */
export interface RedisSecurityStorageOptions {
  /** `redis://…` URL; the storage creates the client and closes it in {@link RedisSecurityStorage.close}. */
  url?: string;
  /** An existing ioredis `Redis` or `Cluster` client; never closed by the storage. */
  client?: unknown;
  /** A Redis Cluster to connect to: the storage creates the ioredis `Cluster` and closes it. */
  cluster?: RedisClusterOptions;
  /** @default 'rampart:' */
  keyPrefix?: string;
  /** @default 75 */
  commandTimeoutMs?: number;
}

/**
 * Redis storage over ioredis, for more than one instance. Keys are `<prefix>{feature:id}:part`
 * (hash tags keep multi-key scripts on one Cluster slot). Scripts run with EVALSHA and fall back
 * to EVAL on NOSCRIPT (after a restart or failover). Every command is bounded by
 * `commandTimeoutMs`; a client it creates does not queue commands while disconnected, so when Redis
 * is down calls fail fast with {@link StorageUnavailableError} instead of hanging.
 *
 * @publicApi
 */
export class RedisSecurityStorage implements SecurityStorage {
  readonly kind = 'redis';
  private readonly client: RedisClientLike;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly shas = new Map<string, string>();
  private healthy = true;
  /** Stops the periodic slot refresh of a cluster client this storage created. */
  private readonly stopRefresh: () => void = () => undefined;
  /** Told the duration of every command (metrics), when set. */
  private roundTrip?: (operation: string, seconds: number, ok: boolean) => void;

  constructor(options: RedisSecurityStorageOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.timeoutMs = options.commandTimeoutMs ?? 75;
    if (options.client) {
      this.client = options.client as RedisClientLike;
      this.ownsClient = false;
    } else if (options.cluster) {
      ({ client: this.client, stopRefresh: this.stopRefresh } = createRedisClusterClient(options.cluster));
      this.ownsClient = true;
    } else if (options.url) {
      const Redis = loadIoRedis();
      this.client = new Redis(options.url, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        // No `commandTimeout` here: exec() bounds every command itself (see there).
        connectTimeout: 2_000,
        lazyConnect: true,
        retryStrategy: (times: number) => Math.min(50 * times, 1_000),
      });
      this.ownsClient = true;
    } else {
      throw new TypeError('RedisSecurityStorage needs a url, a cluster or a client');
    }
    // An 'error' listener keeps ioredis from crashing the process on connection errors.
    this.client.on('error', () => {
      this.healthy = false;
    });
    this.client.on('ready', () => {
      this.healthy = true;
    });
  }

  /** Connects a client this storage created (no-op for a given client). */
  async connect(): Promise<void> {
    if (this.ownsClient && this.client.status === 'wait' && this.client.connect) {
      await this.client.connect().catch((error: unknown) => {
        this.healthy = false;
        throw new StorageUnavailableError('Redis connection failed', error);
      });
    }
  }

  /**
   * The server's `maxmemory-policy` (on a Cluster, the first master's that is not `noeviction`),
   * or undefined when it cannot be read (CONFIG disabled or renamed, as on some managed offers).
   */
  async evictionPolicy(): Promise<string | undefined> {
    const clients = this.client.isCluster && this.client.nodes ? this.client.nodes('master') : [this.client];
    let policy: string | undefined;
    for (const client of clients) {
      if (!client.config) return undefined;
      const reply = await this.exec(() => client.config!('GET', 'maxmemory-policy'), 'config').catch(() => undefined);
      const value = Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
      if (value === undefined) return undefined;
      policy = value;
      if (value !== 'noeviction') break;
    }
    return policy;
  }

  /** Reports the duration of every command to `observer` (SecurityModule feeds its storage histogram). */
  observeRoundTrips(observer: (operation: string, seconds: number, ok: boolean) => void): void {
    this.roundTrip = observer;
  }

  /** One PING, bounded like every command; resolves to its round-trip time in ms. */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.exec(() => this.client.ping(), 'ping');
    return performance.now() - started;
  }

  /** The underlying client, for advanced use (e.g. sharing with ThrottlerModule). */
  getClient(): unknown {
    return this.client;
  }

  get(key: string): Promise<string | null> {
    return this.exec(() => this.client.get(this.prefix + key), 'get');
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    const full = keys.map((k) => this.prefix + k);
    // MGET across slots fails on a Cluster: read key by key there.
    if (this.client.isCluster) return this.exec(() => Promise.all(full.map((k) => this.client.get(k))), 'mget');
    return this.exec(() => this.client.mget(...full), 'mget');
  }

  async set(key: string, value: string, ttlMs: number, opts?: { onlyIfAbsent?: boolean }): Promise<boolean> {
    const args: (string | number)[] = [this.prefix + key, value];
    if (ttlMs > 0) args.push('PX', Math.ceil(ttlMs));
    if (opts?.onlyIfAbsent) args.push('NX');
    const reply = await this.exec(() => this.client.set(...args), 'set');
    return reply === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.exec(() => this.client.del(this.prefix + key), 'delete')) > 0;
  }

  async compareAndSet(key: string, expected: string | null, value: string | null, ttlMs: number): Promise<boolean> {
    const args = [
      expected === null ? '0' : '1',
      expected ?? '',
      value === null ? '0' : '1',
      value ?? '',
      Math.ceil(ttlMs),
    ];
    return (await this.run(COMPARE_AND_SET, [key], args)) === 1;
  }

  async increment(key: string, by: number, ttlMs: number): Promise<{ value: number; ttlMs: number }> {
    checkIncrementArgs(by, ttlMs);
    const [value, ttl] = await this.run(INCREMENT, [key], [by, Math.ceil(ttlMs)]);
    return { value, ttlMs: ttl };
  }

  async run<R extends ScriptReply>(
    script: StorageScript<R>,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<R> {
    const sha = this.sha(script);
    const full = keys.map((k) => this.prefix + k);
    // Each round trip gets its own deadline: a NOSCRIPT (after a restart or failover) costs two.
    try {
      return (await this.exec(() => this.client.evalsha(sha, full.length, ...full, ...args), script.name)) as R;
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error;
      return (await this.exec(() => this.client.eval(script.lua, full.length, ...full, ...args), script.name)) as R;
    }
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    this.stopRefresh();
    if (this.client.status !== 'ready') {
      // quit() would wait for a connection that may never come back.
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private sha(script: StorageScript): string {
    let sha = this.shas.get(script.lua);
    if (!sha) {
      sha = createHash('sha1').update(script.lua).digest('hex');
      this.shas.set(script.lua, sha);
    }
    return sha;
  }

  /**
   * Runs one command with the timeout, translating every failure to StorageUnavailableError.
   *
   * The deadline measures Redis, not this process: when the timer fires it waits one
   * `setImmediate` before giving up. A reply that reached the socket while the event loop was
   * held up (GC, a CPU-bound request, a busy machine) is read in libuv's poll phase, which runs
   * before immediates, so it wins; only a Redis that really did not answer in time fails.
   */
  private exec<T>(command: () => Promise<T>, operation: string): Promise<T> {
    const started = this.roundTrip ? performance.now() : 0;
    // One promise and one timer per command (no async function, no Promise.race): this runs for
    // every EVALSHA of every request.
    return new Promise<T>((resolve, reject) => {
      let immediate: NodeJS.Immediate | undefined;
      let settled = false;
      const timer = setTimeout(() => {
        immediate = setImmediate(() => settle(false, new Error(`timed out after ${this.timeoutMs} ms`)));
      }, this.timeoutMs);
      const settle = (ok: boolean, outcome: unknown): void => {
        // A late reply or a rejection after the deadline lands here too: ignored, never unhandled.
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
        if (this.roundTrip) this.roundTrip(operation, (performance.now() - started) / 1000, ok);
        if (ok) {
          this.healthy = true;
          resolve(outcome as T);
        } else reject(this.failure(outcome));
      };
      let pending: Promise<T>;
      try {
        pending = command();
      } catch (error) {
        settle(false, error);
        return;
      }
      pending.then(
        (reply) => settle(true, reply),
        (error: unknown) => settle(false, error),
      );
    });
  }

  /** What a failed command rejects with: script errors as they are, anything else an outage. */
  private failure(error: unknown): unknown {
    if (error instanceof StorageUnavailableError) return error;
    const message = String((error as Error)?.message ?? error);
    // A script error is a programming error, not an outage: surface it as such.
    // NOSCRIPT only asks for the script's source (run() sends it): not an outage either.
    if (/ERR .*script|WRONGTYPE|^NOSCRIPT/i.test(message)) return error;
    this.healthy = false;
    return new StorageUnavailableError(`Redis command failed: ${message}`, error);
  }
}
