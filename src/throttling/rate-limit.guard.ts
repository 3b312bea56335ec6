import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequest, getResponse, type HttpRequestLike } from '../core/context/get-request';
import { setResponseHeader } from '../core/context/response.util';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
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
import { EdgeLimitHandoff } from './edge-limit-handoff.service';
import { SW_FIELDS } from '../storage/sliding-window.script';

/** `next()` after `first`, synchronously when `first` is not a promise. */
function then<T>(first: true | Promise<true> | boolean | Promise<boolean>, next: () => T | Promise<T>): T | Promise<T> {
  return first instanceof Promise ? first.then(next) : next();
}

/**
 * Per-IP rate limiting, BEFORE authentication (so token checks and login cannot be flooded):
 * the module policies (shared by all routes), route overrides from `@RateLimit()` or
 * @nestjs/throttler's `@Throttle()`, skips from `@SkipRateLimit()` / `@SkipThrottle()`, and the
 * IP allowlist. All policies of a request are decided in one storage call, together with the edge
 * IP limit when the edge handed that decision over (a shared store on Fastify: the edge policy is
 * decided first and refuses with its own headers). Sets `RateLimit` and `RateLimit-Policy`
 * (and/or `X-RateLimit-*`) on every limited response and `Retry-After` on 429.
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
    /**
     * Takes the edge IP limit's decision where the edge handed it over. Without it (a subclass
     * built by hand), the edge never hands over: it learns a route only from a guard that takes.
     */
    @Optional() private readonly handoff?: EdgeLimitHandoff,
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
    if (!set || this.isAllowlisted(req)) return this.edgeOnly(ctx, req, this.handoff?.take(req));
    const keyPrefix = `{rl:${this.getTracker(req, ctx)}}:`;
    const edgeKey = this.handoff?.take(req);
    if (edgeKey === undefined) return this.evaluate(ctx, req, set, keyPrefix, 'ip', nested);
    // The edge handed its decision over: decide it first, in the same script when it shares the
    // tracker (one hash tag); a `getTracker` override groups callers differently, so two calls.
    if (!edgeKey.startsWith(keyPrefix)) {
      return then(this.edgeOnly(ctx, req, edgeKey), () => this.evaluate(ctx, req, set, keyPrefix, 'ip', nested));
    }
    return this.evaluateAfterEdge(ctx, req, set, keyPrefix, edgeKey, nested);
  }

  /** Decides the edge key handed over by the edge (if any) when this guard decides nothing else. */
  private edgeOnly(
    ctx: ExecutionContext,
    req: HttpRequestLike,
    edgeKey: string | undefined,
  ): boolean | Promise<boolean> {
    if (edgeKey === undefined) return true;
    const reply = (this.handoff as EdgeLimitHandoff).decide(edgeKey, req);
    if (reply instanceof Promise) return reply.then((r) => this.concludeEdge(ctx, req, r, edgeKey));
    return this.concludeEdge(ctx, req, reply, edgeKey);
  }

  private evaluateAfterEdge(
    ctx: ExecutionContext,
    req: HttpRequestLike,
    set: PolicySet,
    keyPrefix: string,
    edgeKey: string,
    nested: boolean,
  ): boolean | Promise<boolean> {
    const handoff = this.handoff as EdgeLimitHandoff;
    const edge = handoff.set as PolicySet;
    const keys = new Array<string>(set.suffixes.length + 1);
    keys[0] = edgeKey;
    for (let i = 0; i < set.suffixes.length; i++) keys[i + 1] = keyPrefix + set.suffixes[i];
    set.afterEdge ??= edge.args.concat(set.args.slice(edge.args.length - 4));
    const reply = this.limiter.decideAfterEdge(keys, set.afterEdge, edge.params, set.params, req);
    const conclude = (r: number[]): boolean => {
      this.concludeEdge(ctx, req, r, edgeKey);
      return this.conclude(ctx, req, set, r.slice(1 + SW_FIELDS), 'ip', nested, keyPrefix);
    };
    return reply instanceof Promise ? reply.then(conclude) : conclude(reply);
  }

  /** The edge policy's part of a reply: the edge's 429 (its headers, its body) on refusal. */
  private concludeEdge(ctx: ExecutionContext, req: HttpRequestLike, reply: readonly number[], edgeKey: string): true {
    const refused = (this.handoff as EdgeLimitHandoff).refusal(req, reply, edgeKey);
    if (refused === undefined) return true;
    const res = getResponse(ctx);
    if (res) for (const name of Object.keys(refused.headers)) setResponseHeader(res, name, refused.headers[name]);
    throw securityException(429, SecurityErrorCode.RATE_LIMITED, Messages.RATE_LIMITED(), {
      retryAfter: refused.retryAfter,
    });
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
