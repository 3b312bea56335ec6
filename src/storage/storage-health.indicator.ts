import { Injectable } from '@nestjs/common';
import { InjectSecurityStorage } from './inject-security-storage.decorator';
import type { SecurityStorage } from './security-storage.interface';

/** The state a health check reports (terminus's `HealthIndicatorStatus`). @publicApi */
export type SecurityHealthStatus = 'up' | 'degraded' | 'down';

/**
 * What {@link SecurityStorageHealthIndicator.isHealthy} resolves to: `@nestjs/terminus`'s
 * `HealthIndicatorResult` shape, `{ [key]: { status, ... } }`, so it goes straight into
 * `HealthCheckService.check()`.
 *
 * @publicApi
 */
export type SecurityStorageHealthResult<Key extends string = string> = Record<
  Key,
  {
    status: SecurityHealthStatus;
    /** `memory`, `redis` or a custom storage's kind. */
    storage: string;
    /** The probe's round-trip time (absent when it failed). */
    latencyMs?: number;
    /** Why it is degraded or down (`slow`, `unreachable`, `timeout`). */
    reason?: string;
  }
>;

/** Options of one check. @publicApi */
export interface SecurityStorageHealthOptions {
  /**
   * A probe slower than this reports `degraded` (still serving, but every stateful feature pays it).
   * @default 100
   */
  degradedAfterMs?: number;
  /**
   * A probe slower than this reports `down`.
   * @default 1000
   */
  timeoutMs?: number;
}

const PROBE_KEY = '{health:probe}';

/**
 * A health indicator for the security storage, for `@nestjs/terminus` (an optional peer: this class
 * does not import it, it returns terminus's result shape). It probes the store (Redis `PING`, or a
 * read on other stores) and reports `up`, `degraded` (slower than `degradedAfterMs`) or `down`
 * (unreachable, or slower than `timeoutMs`). Stateful features fail closed while it is down.
 *
 * @example
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.storage.isHealthy('securityStorage')]);
 * }
 * ```
 * @publicApi
 */
@Injectable()
export class SecurityStorageHealthIndicator {
  constructor(@InjectSecurityStorage() private readonly storage: SecurityStorage) {}

  async isHealthy<Key extends string = 'securityStorage'>(
    key: Key = 'securityStorage' as Key,
    options: SecurityStorageHealthOptions = {},
  ): Promise<SecurityStorageHealthResult<Key>> {
    const degradedAfterMs = options.degradedAfterMs ?? 100;
    const timeoutMs = options.timeoutMs ?? 1_000;
    const storage = this.storage.kind;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.probe().then(
        () => 'ok' as const,
        () => 'unreachable' as const,
      ),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    const result =
      outcome !== 'ok'
        ? { status: 'down' as const, storage, reason: outcome }
        : latencyMs > degradedAfterMs
          ? { status: 'degraded' as const, storage, latencyMs, reason: 'slow' }
          : { status: 'up' as const, storage, latencyMs };
    return { [key]: result } as SecurityStorageHealthResult<Key>;
  }

  private probe(): Promise<unknown> {
    const ping = (this.storage as { ping?: () => Promise<unknown> }).ping;
    return typeof ping === 'function' ? ping.call(this.storage) : this.storage.get(PROBE_KEY);
  }
}
