import { resolveClientIp } from '../core/context/client-ip';
import { getSecurityState } from '../core/context/request-state';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import type { SecurityEvents } from '../core/events/security-events.service';
import type { ResolvedRateLimitOptions, ResolvedRateLimitPolicy } from './rate-limit.options';
import { writeEdgeError, type EdgeRefusal } from '../core/pipeline/edge-error.util';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import { compilePolicySet, rateLimitedEvent, readDecision, type PolicySet } from './policy-set.util';
import { ipv6Prefix } from './rate-limit-base.guard';
import type { RateLimiterService } from './rate-limiter.service';
import { SW_FIELDS } from '../storage/sliding-window.script';

const RATE_LIMITED: EdgeRefusal = {
  status: 429,
  error: 'Too Many Requests',
  code: SecurityErrorCode.RATE_LIMITED,
  message: Messages.RATE_LIMITED(),
};

/**
 * The per-IP limit at the edge (`rateLimit.edge`): every request counts, before routing, so a
 * flood of unknown routes (404) or of CORS preflights, which no guard sees, is limited too. It
 * runs after the security headers and before CORS, on the same storage and with the same
 * failure policy as the guards (the sliding-window algorithm, key `{rl:<ip>}:e:edge`). Admitted
 * requests carry no header of its own (the route's guards announce theirs); a refusal is a 429
 * with `Retry-After`, the `RateLimit` headers of the `"edge"` policy and the library's body.
 * It decides every request itself, before anything of the application runs, on every adapter and
 * store. On a Fastify route the IP guard has run on, it also decides the guard's policies in the
 * same storage call, after its own key, and leaves that reply to the guard (see EdgeRoutePlans).
 *
 * @internal
 */
export class EdgeRateLimitEdge implements EdgeHandler {
  private readonly set: PolicySet;
  private limiter?: RateLimiterService;
  /** `EDGE_THEN_WINDOW`'s ARGV per route policy set: this edge's ARGV, then four per route key. */
  private readonly afterEdgeArgs = new WeakMap<PolicySet, string[] | null>();

  constructor(
    private readonly options: ResolvedRateLimitOptions,
    policy: ResolvedRateLimitPolicy,
    /** Resolved on first use: edge steps are built before the module's services are. */
    private readonly resolveLimiter: () => RateLimiterService,
    private readonly events: SecurityEvents,
    private readonly problemJson: boolean,
  ) {
    this.set = compilePolicySet([{ policy, scope: 'e' }], options) as PolicySet;
  }

  handle(req: EdgeRequest, res: EdgeResponse): boolean | Promise<boolean> {
    const address = getSecurityState(req).ip ?? resolveClientIp(req, this.options.isTrustedProxy);
    if (this.options.isAllowlisted?.(address)) return false;
    const tracker = address.indexOf(':') === -1 ? address : ipv6Prefix(address, this.options.ipv6Groups);
    const prefix = `{rl:${tracker}}:`;
    const edgeKey = prefix + this.set.suffixes[0];
    this.limiter ??= this.resolveLimiter();
    const routeSet = this.limiter.edgeRoutes?.planFor(req.method, res.routeContext);
    const args = routeSet && this.argsAfterEdge(routeSet);
    if (routeSet === undefined || !args) {
      const reply = this.limiter.decide([edgeKey], this.set.args, this.set.params, req);
      if (reply instanceof Promise) return reply.then((r) => this.conclude(req, res, r, edgeKey));
      return this.conclude(req, res, reply, edgeKey);
    }
    // The route's IP policies are known (see EdgeRoutePlans): decide them in the same call, after
    // the edge key, and leave the reply to the IP guard.
    const keys = new Array<string>(1 + routeSet.suffixes.length);
    keys[0] = edgeKey;
    for (let i = 0; i < routeSet.suffixes.length; i++) keys[i + 1] = prefix + routeSet.suffixes[i];
    const reply = this.limiter.decideAfterEdge(keys, args, this.set.params, routeSet.params, req);
    const handOver = (r: number[]): boolean => {
      if (r[0] === 1) {
        (getSecurityState(req).edgeDecided ??= []).push({ set: routeSet, prefix, reply: r.slice(1 + SW_FIELDS) });
      }
      return this.conclude(req, res, r, edgeKey);
    };
    return reply instanceof Promise ? reply.then(handOver) : handOver(reply);
  }

  /**
   * `EDGE_THEN_WINDOW`'s ARGV for a route's policy set: this edge's, then four per route key; null
   * when the two sets' heads (cost, escalation) differ, so one script cannot decide both.
   */
  private argsAfterEdge(routeSet: PolicySet): string[] | null {
    let args = this.afterEdgeArgs.get(routeSet);
    if (args === undefined) {
      const head = 3 + Number(routeSet.args[1]);
      const same =
        head === this.set.args.length - 4 && routeSet.args.slice(0, head).every((a, i) => a === this.set.args[i]);
      args = same ? this.set.args.concat(routeSet.args.slice(head)) : null;
      this.afterEdgeArgs.set(routeSet, args);
    }
    return args;
  }

  private conclude(req: EdgeRequest, res: EdgeResponse, reply: readonly number[], key: string): boolean {
    // An admitted request carries no header of this step: nothing of the reply needs reading.
    if (reply[0] === 1) return false;
    const decision = readDecision(this.set, reply);
    this.events.emit(rateLimitedEvent(req, decision, 'ip', key));
    const headers: Record<string, string | number> = { 'Retry-After': decision.retryAfter };
    if (this.options.headers.ietf) {
      headers['RateLimit-Policy'] = this.set.policyHeader;
      headers.RateLimit = decision.state;
    }
    if (this.options.headers.legacy) {
      headers['X-RateLimit-Limit'] = decision.legacyLimit;
      headers['X-RateLimit-Remaining'] = decision.legacyRemaining;
      headers['X-RateLimit-Reset'] = decision.legacyReset;
    }
    return writeEdgeError(req, res, RATE_LIMITED, this.problemJson, this.events.metrics, headers, {
      retryAfter: decision.retryAfter,
    });
  }
}
