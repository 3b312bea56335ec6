import type { ExecutionContext, HttpException } from '@nestjs/common';
import { resolveClientIp } from '../core/context/client-ip';
import { getResponse, type HttpRequestLike } from '../core/context/get-request';
import { getSecurityState } from '../core/context/request-state';
import { getResponseHeader, setResponseHeader } from '../core/context/response.util';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SecurityEventType } from '../core/events/security-event.interface';
import type { SecurityEvents } from '../core/events/security-events.service';
import type { ResolvedRateLimitOptions } from './rate-limit.options';
import { rateLimitedEvent, readDecision, type Decision, type PolicySet } from './policy-set.util';
import type { RateLimiterService } from './rate-limiter.service';

/**
 * What both rate-limit guards share: one script call for all policies of a request, headers,
 * events and the 429. Subclasses choose the tracker and the policies.
 *
 * @publicApi
 */
export abstract class RateLimitBaseGuard {
  protected constructor(
    protected readonly options: ResolvedRateLimitOptions,
    protected readonly limiter: RateLimiterService,
    protected readonly events: SecurityEvents,
  ) {}

  /**
   * The client address: computed by the edge middleware (a trusted proxy's `X-Forwarded-For`
   * only), else the socket peer.
   */
  protected getClientAddress(req: HttpRequestLike): string {
    return getSecurityState(req).ip ?? resolveClientIp(req, this.options.isTrustedProxy);
  }

  /**
   * The client IP as a tracker: IPv6 addresses are reduced to their `ipv6PrefixLength` prefix
   * (a /64 by default), so rotating addresses inside it resets nothing.
   */
  protected getClientIp(req: HttpRequestLike): string {
    const ip = this.getClientAddress(req);
    return ip.indexOf(':') === -1 ? ip : ipv6Prefix(ip, this.options.ipv6Groups);
  }

  /**
   * Whether the client address (the full one, not the IPv6 prefix tracker) is on
   * `rateLimit.allowlist`. Allowlisted callers are never rate limited, authenticated or not.
   */
  protected isAllowlisted(req: HttpRequestLike): boolean {
    return this.options.isAllowlisted !== undefined && this.options.isAllowlisted(this.getClientAddress(req));
  }

  /**
   * Evaluates every policy of `set` for the tracker in one storage call (synchronously on the
   * memory store), sets the headers and throws on rejection.
   */
  protected evaluate(
    ctx: ExecutionContext,
    req: HttpRequestLike,
    set: PolicySet,
    keyPrefix: string,
    tracker: 'ip' | 'principal',
    append = false,
  ): boolean | Promise<boolean> {
    const keys = new Array<string>(set.suffixes.length);
    for (let i = 0; i < keys.length; i++) keys[i] = keyPrefix + set.suffixes[i];
    const reply = this.limiter.decide(keys, set.args, set.params, req);
    if (reply instanceof Promise) return reply.then((r) => this.conclude(ctx, req, set, r, tracker, append, keyPrefix));
    return this.conclude(ctx, req, set, reply, tracker, append, keyPrefix);
  }

  /** Reads a reply into headers, events and the 429 (a refusal throws). @internal */
  protected conclude(
    ctx: ExecutionContext,
    req: HttpRequestLike,
    set: PolicySet,
    reply: readonly number[],
    tracker: 'ip' | 'principal',
    append: boolean,
    keyPrefix: string,
  ): boolean {
    const decision = readDecision(set, reply);
    const res = getResponse(ctx);
    if (res) this.setHeaders(res, set, decision, append);
    if (decision.burst) {
      this.events.emit({
        type: SecurityEventType.BURST_DETECTED,
        outcome: 'blocked',
        reason: 'attempts_far_above_limit',
        request: req,
        details: { tracker, burstFactor: this.options.burstFactor, policies: set.policies.map((p) => p.name) },
      });
    }
    if (decision.admitted) return true;
    if (res) setResponseHeader(res, 'Retry-After', decision.retryAfter);
    // Every refusal is counted into its episode; only the first is written (the store decides).
    this.events.emit(rateLimitedEvent(req, decision, tracker, `${keyPrefix}|${decision.violated.join(',')}`));
    throw this.createException(decision);
  }

  /**
   * Sets `RateLimit-Policy`/`RateLimit` and/or legacy headers. With `append` (a later guard), the
   * items join those an earlier guard set; the first guard does not read headers at all.
   */
  protected setHeaders(res: unknown, set: PolicySet, decision: Decision, append: boolean): void {
    if (this.options.headers.ietf) {
      const policy = append ? getResponseHeader(res, 'RateLimit-Policy') : undefined;
      const state = append ? getResponseHeader(res, 'RateLimit') : undefined;
      setResponseHeader(
        res,
        'RateLimit-Policy',
        typeof policy === 'string' ? `${policy}, ${set.policyHeader}` : set.policyHeader,
      );
      setResponseHeader(res, 'RateLimit', typeof state === 'string' ? `${state}, ${decision.state}` : decision.state);
    }
    if (this.options.headers.legacy) {
      const existing = append ? getResponseHeader(res, 'X-RateLimit-Remaining') : undefined;
      if (existing === undefined || Number(existing) > decision.legacyRemaining) {
        setResponseHeader(res, 'X-RateLimit-Limit', decision.legacyLimit);
        setResponseHeader(res, 'X-RateLimit-Remaining', decision.legacyRemaining);
        setResponseHeader(res, 'X-RateLimit-Reset', decision.legacyReset);
      }
    }
  }

  /** The 429. Override to change the body; keep the status. */
  protected createException(decision: Decision): HttpException {
    return securityException(429, SecurityErrorCode.RATE_LIMITED, Messages.RATE_LIMITED(), {
      retryAfter: decision.retryAfter,
    });
  }
}

/** `2001:db8:1:2:aa::1` with 4 groups → `2001:db8:1:2::/64`. @internal */
export function ipv6Prefix(ip: string, groups: number): string {
  if (groups >= 8) return ip;
  const gap = ip.indexOf('::');
  let all: string[];
  if (gap === -1) all = ip.split(':');
  else {
    const head = gap === 0 ? [] : ip.slice(0, gap).split(':');
    const tail = gap + 2 >= ip.length ? [] : ip.slice(gap + 2).split(':');
    all = head.concat(new Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), tail);
  }
  let out = '';
  for (let i = 0; i < groups; i++) out += `${i === 0 ? '' : ':'}${(parseInt(all[i] ?? '0', 16) || 0).toString(16)}`;
  return `${out}::/${groups * 16}`;
}
