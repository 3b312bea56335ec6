import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequest } from '../core/context/get-request';
import { isNestedGraphqlField } from '../core/context/graphql-field.util';
import { RoutePlanCache, type RoutePlanSlot } from '../core/context/route-plan.cache';
import type { Principal } from '../core/context/principal.interface';
import { getSecurityState } from '../core/context/request-state';
import { SecurityEvents } from '../core/events/security-events.service';
import type { RateLimitFeatureOptions } from './rate-limit.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { compilePolicySet, RouteRateLimits, type PolicySet } from './policy-set.util';
import { RateLimitBaseGuard } from './rate-limit-base.guard';
import { RateLimiterService } from './rate-limiter.service';
import { hashTagSafe } from '../storage/security-storage.interface';

/** Tier of callers without a principal. @publicApi */
export const ANONYMOUS_TIER = 'anonymous';
/** Tier of principals that name no configured tier. @publicApi */
export const AUTHENTICATED_TIER = 'authenticated';

/**
 * Per-principal quotas (`rateLimit.tiers`), right AFTER authentication: callers with a principal
 * are keyed by its subject (`Principal.id`: the user, or the owner of an API key, so a user's
 * token and keys share one budget per policy) with the tier the principal names (`principal.tier`,
 * falling back to `authenticated`); callers without one use the `anonymous` tier keyed by IP.
 * Allowlisted IPs are exempt. Per route, `@RateLimit({ 'paid.minute': … })` or
 * `@Throttle({ 'paid.minute': … })` replaces a tier quota (with the route's own budget), a new
 * `<tier>.<name>` adds one, and `@SkipRateLimit('paid')` / `@SkipThrottle({ paid: true })` skip a
 * tier (or one `<tier>.<policy>`). One storage call per request for all of the tier's policies.
 *
 * @throws {HttpException} 429 `RATE_LIMITED` when a tier quota is exceeded.
 * @throws {ServiceUnavailableException} 503 `STORAGE_UNAVAILABLE` when the store fails and `failOpen` is false.
 * @publicApi
 */
@Injectable()
export class PrincipalRateLimitGuard extends RateLimitBaseGuard implements CanActivate {
  /** The module-level policy set of each tier (shared budgets). */
  private readonly tiers = new Map<string, PolicySet>();
  /** Per-route plans (tier → policy set), read once per controller class and handler. */
  private readonly plans: RoutePlanSlot<ReadonlyMap<string, PolicySet>>;

  constructor(
    @Inject(SECURITY_OPTIONS) options: RateLimitFeatureOptions,
    limiter: RateLimiterService,
    events: SecurityEvents,
    private readonly reflector: Reflector,
    routePlans: RoutePlanCache,
  ) {
    super(options.rateLimit, limiter, events);
    this.plans = routePlans.slot((cls, handler) => this.compile(new RouteRateLimits(this.reflector, handler, cls)));
    for (const [tier, policies] of Object.entries(this.options.tiers)) {
      const set = compilePolicySet(
        policies.map((policy) => ({ policy, scope: 't' })),
        this.options,
      );
      if (set) this.tiers.set(tier, set);
    }
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    // A GraphQL request counts once per root field (aliases included), never per nested field.
    if (isNestedGraphqlField(ctx)) return true;
    if (this.tiers.size === 0) return true;
    const req = getRequest(ctx);
    const principal = getSecurityState(req).principal;
    const set = this.plans.of(ctx).get(this.getTier(principal));
    if (!set || this.isAllowlisted(req)) return true;
    if (principal) return this.evaluate(ctx, req, set, `${principalTag(principal)}:`, 'principal', true);
    return this.evaluate(ctx, req, set, `{rl:${this.getClientIp(req)}}:`, 'ip', true);
  }

  /** The tier of a caller. Override to derive tiers from claims or a database. */
  protected getTier(principal: Principal | undefined): string {
    if (!principal) return ANONYMOUS_TIER;
    return principal.tier !== undefined && this.tiers.has(principal.tier) ? principal.tier : AUTHENTICATED_TIER;
  }

  private compile(route: RouteRateLimits): ReadonlyMap<string, PolicySet> {
    const sets = new Map<string, PolicySet>();
    for (const [tier, shared] of this.tiers) {
      if (route.isSkipped(tier)) continue;
      const entries = route.entries(this.options.tiers[tier], 't', (name) => name.startsWith(`${tier}.`));
      // Routes without tier metadata (nearly all) keep the module-level set of the tier.
      const unchanged = entries.length === shared.policies.length && entries.every((e) => e.scope === 't');
      const set = unchanged ? shared : compilePolicySet(entries, this.options);
      if (set) sets.set(tier, set);
    }
    return sets;
  }
}

/**
 * `{rlp:<subject>}`: one hash tag per subject, whatever credential it authenticated with. A user's
 * API keys act for the user (`Principal.id` is the key's owner), so a token and a key of the same
 * user count against one budget: spending it with the token and switching to a key gets nothing.
 */
function principalTag(principal: Principal): string {
  return `{rlp:${hashTagSafe(principal.id)}}`;
}
