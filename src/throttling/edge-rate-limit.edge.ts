import { resolveClientIp } from '../core/context/client-ip';
import { getSecurityState } from '../core/context/request-state';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import type { SecurityEvents } from '../core/events/security-events.service';
import type { ResolvedRateLimitOptions } from './rate-limit.options';
import { writeEdgeError, type EdgeRefusal } from '../core/pipeline/edge-error.util';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import type { EdgeLimitHandoff } from './edge-limit-handoff.service';
import { ipv6Prefix } from './rate-limit-base.guard';

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
 * failure policy as the guards (the sliding-window script, key `{rl:<ip>}:e:edge`). Admitted
 * requests carry no header of its own (the route's guards announce theirs); a refusal is a 429
 * with `Retry-After`, the `RateLimit` headers of the `"edge"` policy and the library's body.
 * On a shared store, a request known to reach the IP guard hands its key to the guard, which
 * decides it first in its own script ({@link EdgeLimitHandoff}): one round trip instead of two.
 *
 * @internal
 */
export class EdgeRateLimitEdge implements EdgeHandler {
  private handoff?: EdgeLimitHandoff;

  constructor(
    private readonly options: ResolvedRateLimitOptions,
    /** Resolved on first use: edge steps are built before the module's services are. */
    private readonly resolveHandoff: () => EdgeLimitHandoff,
    private readonly events: SecurityEvents,
    private readonly problemJson: boolean,
  ) {}

  handle(req: EdgeRequest, res: EdgeResponse): boolean | Promise<boolean> {
    const address = getSecurityState(req).ip ?? resolveClientIp(req, this.options.isTrustedProxy);
    if (this.options.isAllowlisted?.(address)) return false;
    const tracker = address.indexOf(':') === -1 ? address : ipv6Prefix(address, this.options.ipv6Groups);
    const key = `{rl:${tracker}}:e:edge`;
    this.handoff ??= this.resolveHandoff();
    // Decided in the IP guard's own script (one round trip) where the request is known to reach it.
    if (this.handoff.handOver(req, res, key)) return false;
    const reply = this.handoff.decide(key, req);
    if (reply instanceof Promise) return reply.then((r) => this.conclude(req, res, r, key));
    return this.conclude(req, res, reply, key);
  }

  private conclude(req: EdgeRequest, res: EdgeResponse, reply: readonly number[], key: string): boolean {
    const refused = (this.handoff as EdgeLimitHandoff).refusal(req, reply, key);
    if (refused === undefined) return false;
    return writeEdgeError(req, res, RATE_LIMITED, this.problemJson, this.events.metrics, refused.headers, {
      retryAfter: refused.retryAfter,
    });
  }
}
