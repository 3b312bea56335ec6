import { Inject, Injectable } from '@nestjs/common';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SecurityEventType } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import type { RateLimitFeatureOptions } from './rate-limit.options';
import { DEFAULT_MEMORY_MAX_ENTRIES } from '../storage/storage.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import { SlidingWindowMemoryStorage } from '../storage/memory/sliding-window-memory.storage';
import { SecurityStorage, type ScriptReply, type StorageScript } from '../storage/security-storage.interface';
import { EDGE_THEN_WINDOW, SLIDING_WINDOW } from '../storage/sliding-window.script';
import { EdgeRoutePlans } from './edge-route-plans';

/** Time between two attempts to reach a failing storage; requests meanwhile follow the policy. */
const PROBE_INTERVAL_MS = 1_000;
/** Keys each insurance limiter holds while the shared store is down. */
const INSURANCE_ENTRIES = 10_000;

/**
 * Runs rate-limit scripts against SecurityModule's storage with the failure policy applied.
 * On a memory store the decision is synchronous (no promise), and sliding windows live in a
 * bounded numeric store of their own (same decision as the script, nothing formatted or parsed).
 * When the shared store fails or times out, decisions come from a per-instance in-memory insurance
 * limiter (`failOpen`, default) or the request gets a 503 (`failOpen: false`);
 * `STORAGE_UNAVAILABLE` / `STORAGE_RECOVERED` events mark the switches. While degraded, the store
 * is probed at most once a second (or as soon as the client reconnects), so an outage costs no
 * per-request timeout.
 *
 * @publicApi
 */
@Injectable()
export class RateLimiterService {
  /** Other scripts (login attempts) on a memory store. */
  private readonly memory?: MemorySecurityStorage;
  /** Sliding windows on a memory store, or their insurance limiter on a shared one. */
  private readonly windows: SlidingWindowMemoryStorage;
  private readonly insurance: MemorySecurityStorage;
  private readonly failOpen: boolean;
  private degraded = false;
  private nextProbeAt = 0;
  /**
   * What the IP guard decides on each Fastify route, learned from the guard, so the edge IP limit
   * can decide it in its own storage call (see {@link EdgeRoutePlans}); absent without the edge IP
   * limit and on a memory store.
   *
   * @internal
   */
  readonly edgeRoutes?: EdgeRoutePlans;

  constructor(
    @Inject(SecurityStorage) private readonly storage: SecurityStorage,
    @Inject(SECURITY_OPTIONS) options: RateLimitFeatureOptions,
    private readonly events: SecurityEvents,
  ) {
    // Login attempts share the memory store's counters: its security partitions (revocations,
    // idempotency records...) are never evicted to make room for them.
    this.memory = storage instanceof MemorySecurityStorage ? storage : undefined;
    this.insurance = this.memory ?? new MemorySecurityStorage({ maxEntries: INSURANCE_ENTRIES });
    this.windows = this.memory
      ? new SlidingWindowMemoryStorage(memoryBound(options), this.memory.now)
      : new SlidingWindowMemoryStorage(INSURANCE_ENTRIES);
    this.failOpen = options.rateLimit.failOpen;
    // A memory store decides synchronously: there is no round trip to save.
    if (options.rateLimit.enabled && options.rateLimit.edge && !this.memory) this.edgeRoutes = new EdgeRoutePlans();
  }

  /** Whether decisions are currently taken without the shared store. */
  get isDegraded(): boolean {
    return this.degraded;
  }

  /**
   * Runs `script` atomically. Synchronous on the memory store; otherwise a promise that never
   * rejects with a storage error under `failOpen` (it falls back to the insurance limiter).
   * `EDGE_THEN_WINDOW` is refused (an Error): it runs through `decideAfterEdge`.
   *
   * @throws {ServiceUnavailableException} 503 `STORAGE_UNAVAILABLE` when the store fails and `failOpen` is false.
   */
  run<R extends ScriptReply>(
    script: StorageScript<R>,
    keys: string[],
    args: string[],
    request?: unknown,
  ): R | Promise<R> {
    if ((script as StorageScript) === EDGE_THEN_WINDOW) {
      // Its memory twin would count in the other memory store: sliding windows live in `windows`.
      throw new Error('RateLimiterService: EDGE_THEN_WINDOW runs through decideAfterEdge');
    }
    if ((script as StorageScript) === SLIDING_WINDOW) {
      return this.decide(keys, args, Float64Array.from(args, Number), request) as R | Promise<R>;
    }
    if (this.memory) return this.memory.runSync(script, keys, args);
    return this.shared(script, keys, args, request, () => this.insurance.runSync(script, keys, args));
  }

  /**
   * One SLIDING_WINDOW decision: `args` its ARGV, `params` the same as numbers (what the memory
   * stores read). Synchronous on a memory store.
   *
   * @throws {ServiceUnavailableException} 503 `STORAGE_UNAVAILABLE` when the store fails and `failOpen` is false.
   */
  decide(
    keys: readonly string[],
    args: readonly string[],
    params: ArrayLike<number>,
    request?: unknown,
  ): number[] | Promise<number[]> {
    if (this.memory) return this.windows.decide(keys, params);
    return this.shared(SLIDING_WINDOW, keys, args, request, () => this.windows.decide(keys, params));
  }

  /**
   * The edge IP limit (`keys[0]`) and then, only when it admits, the other keys together, in one
   * storage call ({@link EDGE_THEN_WINDOW}): the same outcome as `decide` on the edge key followed
   * by `decide` on the others. `args` is that script's ARGV; `edgeParams` and `params` are the two
   * decisions' ARGV as numbers. Synchronous on a memory store.
   *
   * @throws {ServiceUnavailableException} 503 `STORAGE_UNAVAILABLE` when the store fails and `failOpen` is false.
   * @internal
   */
  decideAfterEdge(
    keys: readonly string[],
    args: readonly string[],
    edgeParams: ArrayLike<number>,
    params: ArrayLike<number>,
    request?: unknown,
  ): number[] | Promise<number[]> {
    const local = () => {
      const edge = this.windows.decide(keys.slice(0, 1), edgeParams);
      return edge[0] === 0 ? edge : edge.concat(this.windows.decide(keys.slice(1), params));
    };
    if (this.memory) return local();
    return this.shared(EDGE_THEN_WINDOW, keys, args, request, local);
  }

  /** Runs on the shared store with the failure policy; `insure` decides when it is down. */
  private shared<R extends ScriptReply>(
    script: StorageScript<R>,
    keys: readonly string[],
    args: readonly string[],
    request: unknown,
    insure: () => R,
  ): Promise<R> | R {
    if (this.degraded && Date.now() < this.nextProbeAt && !this.storage.isHealthy()) return this.fallback(insure);
    return this.storage.run(script, keys, args).then(
      (reply) => {
        if (this.degraded) this.switchTo(false, request);
        return reply;
      },
      () => {
        this.nextProbeAt = Date.now() + PROBE_INTERVAL_MS;
        if (!this.degraded) this.switchTo(true, request);
        return this.fallback(insure);
      },
    );
  }

  private fallback<R>(insure: () => R): R {
    if (!this.failOpen) {
      throw securityException(503, SecurityErrorCode.STORAGE_UNAVAILABLE, Messages.STORAGE_UNAVAILABLE());
    }
    return insure();
  }

  private switchTo(degraded: boolean, request: unknown): void {
    this.degraded = degraded;
    this.events.emit(
      degraded
        ? {
            type: SecurityEventType.STORAGE_UNAVAILABLE,
            outcome: 'failure',
            reason: 'rate_limit_storage_unavailable',
            request,
            details: { feature: 'rateLimit', policy: this.failOpen ? 'fail_open_insurance_limiter' : 'fail_closed' },
          }
        : {
            type: SecurityEventType.STORAGE_RECOVERED,
            outcome: 'info',
            reason: 'rate_limit_storage_recovered',
            request,
            details: { feature: 'rateLimit' },
          },
    );
  }
}

/** The configured memory bound (`storage.maxEntries`), the storage default otherwise. */
function memoryBound(options: RateLimitFeatureOptions): number {
  const config = options.storage;
  return 'type' in config && config.type === 'memory' ? config.maxEntries : DEFAULT_MEMORY_MAX_ENTRIES;
}
