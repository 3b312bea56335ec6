import { Inject, Injectable } from '@nestjs/common';
import { rawRequest } from '../core/context/request-state';
import { SecurityEventType } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import { hasBody } from '../core/pipeline/edge-error.util';
import type { EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import { SecurityStorage } from '../storage/security-storage.interface';
import { compilePolicySet, readDecision, type PolicySet } from './policy-set.util';
import type { RateLimitFeatureOptions, ResolvedRateLimitOptions } from './rate-limit.options';
import { RateLimiterService } from './rate-limiter.service';

/** What the edge leaves on a request it saw on a known route (a shared store only). */
interface EdgeMark {
  /** The request's edge key, `{rl:<ip>}:e:edge`. */
  readonly key: string;
  /** `<method> <route template>`: learned as covered once the IP guard runs on it. */
  readonly route: string;
  /** The edge decision was handed over and nobody has taken it yet. */
  pending: boolean;
}

const MARK = Symbol('nestjs-rampart:edge-limit');

interface Marked {
  [MARK]?: EdgeMark;
}

/** A refusal by the edge policy: the headers of the 429 (with `Retry-After`) and its seconds. @internal */
export interface EdgeLimitRefusal {
  headers: Record<string, string | number>;
  retryAfter: number;
}

/**
 * The edge IP limit's decision, and its hand-over to the IP guard on a shared store: where the
 * request is known to reach the guard, the edge key is decided in the guard's own script
 * ({@link RateLimiterService.decideAfterEdge}), one round trip instead of two, with the same
 * outcome and the same order (the edge policy first, then the route's).
 *
 * The edge hands a request over only when all of these hold: the store is shared (on memory both
 * decisions are synchronous and cost about a microsecond), the adapter routed the request before
 * the edge (Fastify; on Express the route is unknown there, so the edge always decides), the
 * request has no body (a body parser could refuse it before any guard), it is not `OPTIONS` (a
 * preflight is answered at the edge), and the IP guard has already run on that route (method and
 * template), which the guard records here. Everything else (unknown routes, preflights, bodies,
 * a route no guard covers, the first request of each route) is decided up front, as before.
 * A handed-over request that ends without reaching the guard (a middleware or an earlier guard
 * answered it, the client went away) is decided when it ends, so it still counts; a route with
 * `@SkipRateLimit()` or an allowlisted caller still reaches the guard, which decides the edge key
 * alone.
 *
 * @internal
 */
@Injectable()
export class EdgeLimitHandoff {
  /** The edge policy, compiled; undefined when `rateLimit.edge` is off. */
  readonly set?: PolicySet;
  private readonly options: ResolvedRateLimitOptions;
  private readonly shared: boolean;
  /** Routes (`<method> <template>`) the IP guard has run on: bounded by the application's routes. */
  private readonly covered = new Set<string>();

  constructor(
    @Inject(SECURITY_OPTIONS) options: RateLimitFeatureOptions,
    @Inject(SecurityStorage) storage: SecurityStorage,
    private readonly limiter: RateLimiterService,
    private readonly events: SecurityEvents,
  ) {
    this.options = options.rateLimit;
    const edge = this.options.enabled ? this.options.edge : undefined;
    this.set = edge ? compilePolicySet([{ policy: edge, scope: 'e' }], this.options) : undefined;
    this.shared = !(storage instanceof MemorySecurityStorage);
  }

  /**
   * Called by the edge with the request's edge key: true when the decision is handed to the IP
   * guard (the edge must not decide it), false when the edge decides now.
   */
  handOver(req: EdgeRequest, res: EdgeResponse, key: string): boolean {
    if (!this.shared || req.method === 'OPTIONS' || req.once === undefined || hasBody(req)) return false;
    const route = res.route;
    if (route === undefined) return false;
    const id = `${req.method} ${route}`;
    const pending = this.covered.has(id);
    const mark: EdgeMark = { key, route: id, pending };
    (req as Marked)[MARK] = mark;
    if (pending) req.once('close', () => this.settle(req, mark));
    return pending;
  }

  /**
   * Called by the IP guard, on every request it sees: records the route as covered, and takes the
   * edge key when its decision was handed over (then the caller must decide it). Once per request.
   */
  take(req: object): string | undefined {
    const mark = (rawRequest(req) as Marked)[MARK];
    if (mark === undefined) return undefined;
    if (!mark.pending) {
      this.covered.add(mark.route);
      return undefined;
    }
    mark.pending = false;
    return mark.key;
  }

  /** The edge decision alone. Synchronous on a memory store. */
  decide(key: string, request: unknown): number[] | Promise<number[]> {
    const set = this.set as PolicySet;
    return this.limiter.decide([key], set.args, set.params, request);
  }

  /**
   * Reads an edge reply (the first 9 numbers of `reply`): undefined when admitted (nothing to
   * write); on refusal, reports `RATE_LIMITED` and returns the 429's headers (the `"edge"`
   * policy's, as configured) and `Retry-After`.
   */
  refusal(request: unknown, reply: readonly number[], key: string): EdgeLimitRefusal | undefined {
    // An admitted request carries no header of the edge: nothing of the reply needs reading.
    if (reply[0] === 1) return undefined;
    const set = this.set as PolicySet;
    const decision = readDecision(set, reply);
    this.events.emit({
      type: SecurityEventType.RATE_LIMITED,
      outcome: 'blocked',
      reason: decision.strikes > 1 ? 'limit_exceeded_escalated' : 'limit_exceeded',
      request,
      details: {
        tracker: 'ip',
        policies: decision.violated,
        retryAfter: decision.retryAfter,
        strikes: decision.strikes,
      },
      episode: key,
      first: decision.firstRejection,
    });
    const headers: Record<string, string | number> = { 'Retry-After': decision.retryAfter };
    if (this.options.headers.ietf) {
      headers['RateLimit-Policy'] = set.policyHeader;
      headers.RateLimit = decision.state;
    }
    if (this.options.headers.legacy) {
      headers['X-RateLimit-Limit'] = decision.legacyLimit;
      headers['X-RateLimit-Remaining'] = decision.legacyRemaining;
      headers['X-RateLimit-Reset'] = decision.legacyReset;
    }
    return { headers, retryAfter: decision.retryAfter };
  }

  /**
   * A handed-over request ended before the guard took its edge decision: decide it now, so it
   * counts. Nothing is written (the response is gone) nor reported (nothing was refused).
   */
  private settle(req: EdgeRequest, mark: EdgeMark): void {
    if (!mark.pending) return;
    mark.pending = false;
    try {
      const reply = this.decide(mark.key, req);
      if (reply instanceof Promise) reply.catch(() => undefined);
    } catch {
      // 503 under `failOpen: false` while the store is down: this request is already over.
    }
  }
}
