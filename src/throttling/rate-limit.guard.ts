import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequest } from '../core/context/get-request';
import { SecurityEvents } from '../core/events/security-events.service';
import { resolveRateLimitPolicy, type ResolvedRateLimitPolicy } from '../core/options/rate-limit.options';
import type { ResolvedSecurityOptions } from '../core/options/security-options.interface';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { compilePolicySet, type PolicySet } from './policy-set.util';
import { RATE_LIMIT_KEY, SKIP_RATE_LIMIT_KEY, THROTTLER_METADATA } from './rate-limit.constants';
import { RateLimitBaseGuard } from './rate-limit-base.guard';
import { RateLimiterService } from './rate-limiter.service';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Handler = Function;

/**
 * Per-IP rate limiting, BEFORE authentication (so token checks and login cannot be flooded):
 * the module policies (shared by all routes), route overrides from `@RateLimit()` or
 * @nestjs/throttler's `@Throttle()`, skips from `@SkipRateLimit()` / `@SkipThrottle()`, and the
 * IP allowlist. All policies of a request are decided in one storage call. Sets `RateLimit` and
 * `RateLimit-Policy` (and/or `X-RateLimit-*`) on every limited response and `Retry-After` on 429.
 *
 * @throws {HttpException} 429 `RATE_LIMITED` when a policy is exceeded.
 * @throws {ServiceUnavailableException} 503 `STORAGE_UNAVAILABLE` when the store fails and `failOpen` is false.
 * @publicApi
 */
@Injectable()
export class RateLimitGuard extends RateLimitBaseGuard implements CanActivate {
  /** Per-handler plans: metadata is read once per route, not per request. */
  private readonly plans = new Map<Handler, { cls: Handler; set: PolicySet | undefined }>();

  constructor(
    @Inject(SECURITY_OPTIONS) options: ResolvedSecurityOptions,
    limiter: RateLimiterService,
    events: SecurityEvents,
    private readonly reflector: Reflector,
  ) {
    super(options.rateLimit, limiter, events);
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    const set = this.planFor(ctx);
    if (!set) return true;
    const req = getRequest(ctx);
    const ip = this.getTracker(req, ctx);
    if (this.isAllowlisted(ip)) return true;
    return this.evaluate(ctx, req, set, `{rl:${ip}}:`, 'ip');
  }

  /** The tracker of a request: the client IP. Override to group callers differently. */
  protected getTracker(req: ReturnType<typeof getRequest>, _ctx: ExecutionContext): string {
    return this.getClientIp(req);
  }

  private planFor(ctx: ExecutionContext): PolicySet | undefined {
    const handler = ctx.getHandler();
    const cls = ctx.getClass();
    const cached = this.plans.get(handler);
    if (cached && cached.cls === cls) return cached.set;
    const set = this.compile(handler, cls);
    if (!cached) this.plans.set(handler, { cls, set });
    return set;
  }

  private compile(handler: Handler, cls: Handler): PolicySet | undefined {
    const targets = [handler, cls];
    const skip = this.reflector.getAllAndOverride<true | string[] | undefined>(SKIP_RATE_LIMIT_KEY, targets);
    if (skip === true) return undefined;
    const skipped = (name: string) =>
      (Array.isArray(skip) && skip.includes(name)) ||
      this.reflector.getAllAndOverride<boolean | undefined>(THROTTLER_METADATA.SKIP + name, targets) === true;
    const own = this.reflector.getAllAndOverride<ResolvedRateLimitPolicy[] | undefined>(RATE_LIMIT_KEY, targets) ?? [];
    const route = `r:${cls.name}.${handler.name}`;
    const entries: Array<{ policy: ResolvedRateLimitPolicy; scope: string }> = [];
    for (const policy of this.options.policies) {
      if (skipped(policy.name)) continue;
      const override = own.find((p) => p.name === policy.name) ?? this.throttleOverride(policy, targets);
      entries.push(override ? { policy: override, scope: route } : { policy, scope: 'p' });
    }
    for (const policy of own) {
      if (!skipped(policy.name) && !this.options.policies.some((p) => p.name === policy.name)) {
        entries.push({ policy, scope: route });
      }
    }
    return compilePolicySet(entries, this.options);
  }

  /** `@Throttle({ name: { limit, ttl, blockDuration } })` (ms) for a module policy, when given as numbers. */
  private throttleOverride(policy: ResolvedRateLimitPolicy, targets: Handler[]): ResolvedRateLimitPolicy | undefined {
    const read = (key: string) => {
      const value = this.reflector.getAllAndOverride<unknown>(key + policy.name, targets);
      return typeof value === 'number' ? value : undefined;
    };
    const limit = read(THROTTLER_METADATA.LIMIT);
    const ttl = read(THROTTLER_METADATA.TTL);
    if (limit === undefined && ttl === undefined) return undefined;
    const block = read(THROTTLER_METADATA.BLOCK_DURATION);
    return resolveRateLimitPolicy(
      policy.name,
      {
        limit: limit ?? policy.limit,
        windowSeconds: ttl === undefined ? policy.windowMs / 1000 : Math.max(1, Math.ceil(ttl / 1000)),
        blockSeconds: block === undefined ? policy.blockMs / 1000 : block / 1000,
      },
      `@Throttle(${policy.name})`,
    );
  }
}
