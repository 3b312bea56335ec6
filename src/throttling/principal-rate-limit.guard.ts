import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequest } from '../core/context/get-request';
import type { Principal } from '../core/context/principal.interface';
import { getSecurityState } from '../core/context/request-state';
import { SecurityEvents } from '../core/events/security-events.service';
import type { ResolvedSecurityOptions } from '../core/options/security-options.interface';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { compilePolicySet, type PolicySet } from './policy-set.util';
import { SKIP_RATE_LIMIT_KEY } from './rate-limit.constants';
import { RateLimitBaseGuard } from './rate-limit-base.guard';
import { RateLimiterService } from './rate-limiter.service';

/** Tier of callers without a principal. @publicApi */
export const ANONYMOUS_TIER = 'anonymous';
/** Tier of principals that name no configured tier. @publicApi */
export const AUTHENTICATED_TIER = 'authenticated';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Handler = Function;

/**
 * Per-principal quotas (`rateLimit.tiers`), right AFTER authentication: callers with a principal
 * are keyed by principal id (user or API key) with the tier the principal names (`principal.tier`,
 * falling back to `authenticated`, never to "unlimited"); callers without one use the `anonymous`
 * tier keyed by IP. One storage call per request for all of the tier's policies.
 *
 * @throws {HttpException} 429 `RATE_LIMITED` when a tier quota is exceeded.
 * @throws {ServiceUnavailableException} 503 `STORAGE_UNAVAILABLE` when the store fails and `failOpen` is false.
 * @publicApi
 */
@Injectable()
export class PrincipalRateLimitGuard extends RateLimitBaseGuard implements CanActivate {
  private readonly tiers = new Map<string, PolicySet>();
  private readonly skips = new Map<Handler, { cls: Handler; skip: true | string[] | undefined }>();

  constructor(
    @Inject(SECURITY_OPTIONS) options: ResolvedSecurityOptions,
    limiter: RateLimiterService,
    events: SecurityEvents,
    private readonly reflector: Reflector,
  ) {
    super(options.rateLimit, limiter, events);
    for (const [tier, policies] of Object.entries(this.options.tiers)) {
      const set = compilePolicySet(
        policies.map((policy) => ({ policy, scope: 't' })),
        this.options,
      );
      if (set) this.tiers.set(tier, set);
    }
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (this.tiers.size === 0) return true;
    const req = getRequest(ctx);
    const principal = getSecurityState(req).principal;
    const tier = this.getTier(principal);
    const set = this.tiers.get(tier);
    if (!set) return true;
    const skip = this.skipFor(ctx);
    if (skip === true || (skip && skip.includes(tier))) return true;
    if (principal) return this.evaluate(ctx, req, set, `${principalTag(principal)}:`, 'principal', true);
    const ip = this.getClientIp(req);
    if (this.isAllowlisted(ip)) return true;
    return this.evaluate(ctx, req, set, `{rl:${ip}}:`, 'ip', true);
  }

  /** The tier of a caller. Override to derive tiers from claims or a database. */
  protected getTier(principal: Principal | undefined): string {
    if (!principal) return ANONYMOUS_TIER;
    return principal.tier !== undefined && this.tiers.has(principal.tier) ? principal.tier : AUTHENTICATED_TIER;
  }

  private skipFor(ctx: ExecutionContext): true | string[] | undefined {
    const handler = ctx.getHandler();
    const cls = ctx.getClass();
    const cached = this.skips.get(handler);
    if (cached && cached.cls === cls) return cached.skip;
    const skip = this.reflector.getAllAndOverride<true | string[] | undefined>(SKIP_RATE_LIMIT_KEY, [handler, cls]);
    if (!cached) this.skips.set(handler, { cls, skip });
    return skip;
  }
}

/** `{rlp:<type>:<id>}`: one hash tag per principal (braces in ids would move the tag). */
function principalTag(principal: Principal): string {
  const id =
    principal.id.includes('{') || principal.id.includes('}') ? principal.id.replace(/[{}]/g, '_') : principal.id;
  return `{rlp:${principal.type}:${id}}`;
}
