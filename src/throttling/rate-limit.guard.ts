import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequest, type HttpRequestLike } from '../core/context/get-request';
import { getSecurityState } from '../core/context/request-state';
import { isNestedGraphqlField } from '../core/context/graphql-field.util';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../core/context/route-plan.cache';
import { SecurityEvents } from '../core/events/security-events.service';
import type { RateLimitFeatureOptions } from './rate-limit.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { compilePolicySet, RouteRateLimits, type PolicySet } from './policy-set.util';
import { RateLimitBaseGuard } from './rate-limit-base.guard';
import { RateLimiterService } from './rate-limiter.service';

/**
 * Per-IP rate limiting, BEFORE authentication (so token checks and login cannot be flooded):
 * the module policies (shared by all routes), route overrides from `@RateLimit()` or
 * @nestjs/throttler's `@Throttle()`, skips from `@SkipRateLimit()` / `@SkipThrottle()`, and the
 * IP allowlist. All policies of a request are decided in one storage call: its own, or on Fastify
 * with a shared store, the edge IP limit's (which decides them after its own key, once it has
 * learned the route from this guard). Sets `RateLimit` and
 * `RateLimit-Policy` (and/or `X-RateLimit-*`) on every limited response and `Retry-After` on 429.
 *
 * @throws {HttpException} 429 `RATE_LIMITED` when a policy is exceeded.
 * @throws {ServiceUnavailableException} 503 `STORAGE_UNAVAILABLE` when the store fails and `failOpen` is false.
 * @publicApi
 */
@Injectable()
export class RateLimitGuard extends RateLimitBaseGuard implements CanActivate {
  /** Per-route plans (controller class and handler): metadata is read once per route, not per request. */
  private readonly plans: RoutePlanSlot<PolicySet | null>;
  /** The same, for GraphQL field resolvers below the root: the route's own policies only. */
  private readonly fieldPlans: RoutePlanSlot<PolicySet | null>;

  constructor(
    @Inject(SECURITY_OPTIONS) options: RateLimitFeatureOptions,
    limiter: RateLimiterService,
    events: SecurityEvents,
    private readonly reflector: Reflector,
    routePlans: RoutePlanCache,
  ) {
    super(options.rateLimit, limiter, events);
    this.plans = routePlans.slot((cls, handler) => this.compile(cls, handler));
    this.fieldPlans = routePlans.slot((cls, handler) => this.compile(cls, handler, true));
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    // A GraphQL request counts once per root field (aliases included); a nested field resolver
    // (run once per parent object) counts only against its own `@RateLimit()` policies.
    const nested = isNestedGraphqlField(ctx);
    const set = nested ? this.fieldPlans.of(ctx) : this.plans.of(ctx);
    const req = getRequest(ctx);
    const handed = nested ? undefined : this.takeEdgeDecision(ctx, req, set);
    if (!set) return true;
    if (this.isAllowlisted(req)) return true;
    const keyPrefix = `{rl:${this.getTracker(req, ctx)}}:`;
    if (handed !== undefined && handed.prefix === keyPrefix) {
      return this.conclude(ctx, req, set, handed.reply, 'ip', false, keyPrefix);
    }
    return this.evaluate(ctx, req, set, keyPrefix, 'ip', nested);
  }

  /**
   * The edge IP limit's decision of this route's policies, when the edge took it (Fastify, a route
   * learned earlier, see EdgeRoutePlans) for this very policy set; taken once. When there is none,
   * the route is learned. Only the stock guard on HTTP requests: a subclass may track differently.
   */
  private takeEdgeDecision(
    ctx: ExecutionContext,
    req: HttpRequestLike,
    set: PolicySet | null,
  ): { prefix: string; reply: readonly number[] } | undefined {
    const plans = this.limiter.edgeRoutes;
    if (plans === undefined || ctx.getType() !== 'http' || this.constructor !== RateLimitGuard) return undefined;
    const decided = getSecurityState(req).edgeDecided;
    const index = decided?.findIndex((d) => d.set === set) ?? -1;
    if (decided !== undefined && index !== -1) return decided.splice(index, 1)[0];
    plans.learn(req as { method?: string; routeOptions?: { config?: unknown } }, set);
    return undefined;
  }

  /** The tracker of a request: the client IP (IPv6: its prefix). Override to group callers differently. */
  protected getTracker(req: ReturnType<typeof getRequest>, _ctx: ExecutionContext): string {
    return this.getClientIp(req);
  }

  private compile(cls: RouteClass, handler: RouteHandler, ownOnly = false): PolicySet | null {
    const route = new RouteRateLimits(this.reflector, handler, cls);
    // `@RateLimit({ 'paid.x': … })` names a tier policy: the principal guard applies it.
    const entries = route.entries(this.options.policies, 'p', (name) => !this.isTierPolicy(name));
    const set = compilePolicySet(ownOnly ? entries.filter((e) => e.scope !== 'p') : entries, this.options);
    return set ?? null;
  }

  private isTierPolicy(name: string): boolean {
    return name.includes('.') && Object.keys(this.options.tiers).some((tier) => name.startsWith(`${tier}.`));
  }
}
