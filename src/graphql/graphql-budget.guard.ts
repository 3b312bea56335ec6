import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { getRequest, getResponse, type HttpRequestLike } from '../core/context/get-request';
import { isNestedGraphqlField } from '../core/context/graphql-field.util';
import { getSecurityState } from '../core/context/request-state';
import { getResponseHeader, setResponseHeader } from '../core/context/response.util';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SecurityEventType } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import { SecurityMetrics } from '../core/metrics/security-metrics.service';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { hashTagSafe, SecurityStorage } from '../storage/security-storage.interface';
import { SLIDING_WINDOW } from '../storage/sliding-window.script';
import { GRAPHQL_COST } from './graphql.constants';
import type { ResolvedGraphqlOptions } from './graphql.options';

/** What the GraphQL layer keeps on the GraphQL context about the operation's cost. @internal */
export interface OperationCost {
  /** The cost computed before execution. */
  cost: number;
  /** The budget decision, once taken (shared by every root field of the operation). */
  charge?: Promise<BudgetState>;
  /** The budget after the charge, for the response's `extensions.rateLimit`. */
  state?: BudgetState;
}

/** The caller's budget after an operation was charged. @publicApi */
export interface BudgetState {
  cost: number;
  limit: number;
  remaining: number;
  /** Seconds until the budget is whole again. */
  resetAfter: number;
}

// Reply layout of SLIDING_WINDOW for one key: [admitted, totalHits, remaining, resetMs, retryMs, ...].
const REMAINING = 2;
const RESET_MS = 3;
const RETRY_MS = 4;

/**
 * Takes each GraphQL operation's cost from its caller's budget (`graphql.budget`), per principal
 * when authenticated and per client IP otherwise, through the security storage (memory or Redis,
 * one round trip). Runs after authentication, once per operation: the first root field charges the
 * cost computed before execution by `SecurityGraphQL`, the others share that decision, and field
 * resolvers below the root are skipped. Sets the IETF `RateLimit` / `RateLimit-Policy` headers; over
 * budget, every root field fails with `RATE_LIMITED` and `retryAfter` before its resolver runs.
 * Storage failures fail closed (503 `STORAGE_UNAVAILABLE`).
 *
 * @throws {HttpException} 429 `RATE_LIMITED` when the budget is spent.
 * @publicApi
 */
@Injectable()
export class GraphqlBudgetGuard implements CanActivate {
  private readonly budget: Exclude<ResolvedGraphqlOptions['budget'], false>;
  private readonly policyHeader: string;

  constructor(
    @Inject(SECURITY_OPTIONS) options: { graphql: ResolvedGraphqlOptions },
    @Inject(SecurityStorage) private readonly storage: SecurityStorage,
    private readonly events: SecurityEvents,
    @Optional() private readonly metrics?: SecurityMetrics,
  ) {
    this.budget = options.graphql.budget || { points: 0, windowSec: 1 };
    this.policyHeader = `"graphql-cost";q=${this.budget.points};w=${this.budget.windowSec}`;
  }

  /** Synchronous where nothing is charged (field resolvers below the root): Nest awaits a promise per call. */
  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (ctx.getType<string>() !== 'graphql' || isNestedGraphqlField(ctx)) return true;
    const gqlContext = ctx.getArgByIndex<Record<symbol, OperationCost | undefined> | undefined>(2);
    if (!gqlContext) return true;
    // Wired without SecurityGraphQL: no cost was computed; each root field then costs 1.
    const operation = (gqlContext[GRAPHQL_COST] ??= { cost: 1 });
    const req = getRequest(ctx);
    operation.charge ??= this.charge(req, getResponse(ctx), operation.cost, operationType(ctx));
    return operation.charge.then((state) => {
      operation.state = state;
      return true;
    });
  }

  /** The budget key of a request: the principal, else the client IP. Override to group callers differently. */
  protected getTracker(req: HttpRequestLike): string {
    const state = getSecurityState(req);
    // One budget per subject, whatever credential it used (as the REST tier budgets).
    if (state.principal) return `p:${hashTagSafe(state.principal.id)}`;
    return `ip:${hashTagSafe(state.ip ?? req.socket?.remoteAddress ?? 'unknown')}`;
  }

  private async charge(req: HttpRequestLike, res: unknown, cost: number, type: string): Promise<BudgetState> {
    const key = `{gqlb:${this.getTracker(req)}}`;
    const windowMs = this.budget.windowSec * 1000;
    let reply: number[];
    try {
      reply = await this.storage.run(SLIDING_WINDOW, [key], [cost, 0, 0, this.budget.points, windowMs, 0, 0]);
    } catch {
      throw securityException(503, SecurityErrorCode.STORAGE_UNAVAILABLE, Messages.STORAGE_UNAVAILABLE());
    }
    const state: BudgetState = {
      cost,
      limit: this.budget.points,
      remaining: reply[REMAINING],
      resetAfter: Math.ceil(reply[RESET_MS] / 1000),
    };
    if (res) this.setHeaders(res, state);
    if (reply[0] === 1) {
      this.metrics?.graphqlCost(cost, type);
      return state;
    }
    const retryAfter = Math.max(1, Math.ceil(reply[RETRY_MS] / 1000));
    this.events.emit({
      type: SecurityEventType.RATE_LIMITED,
      outcome: 'blocked',
      reason: 'graphql_cost_budget',
      request: req,
      details: { cost, limit: this.budget.points, retryAfter },
    });
    throw securityException(429, SecurityErrorCode.RATE_LIMITED, Messages.RATE_LIMITED(), {
      retryAfter,
      cost,
      limit: this.budget.points,
    });
  }

  private setHeaders(res: unknown, state: BudgetState): void {
    const policy = getResponseHeader(res, 'RateLimit-Policy');
    const current = getResponseHeader(res, 'RateLimit');
    const item = `"graphql-cost";r=${state.remaining};t=${state.resetAfter}`;
    setResponseHeader(
      res,
      'RateLimit-Policy',
      typeof policy === 'string' ? `${policy}, ${this.policyHeader}` : this.policyHeader,
    );
    setResponseHeader(res, 'RateLimit', typeof current === 'string' ? `${current}, ${item}` : item);
  }
}

/** `query`, `mutation` or `subscription`: the operation a root field belongs to. */
function operationType(ctx: ExecutionContext): string {
  const info = ctx.getArgByIndex<{ operation?: { operation?: string } } | undefined>(3);
  return info?.operation?.operation ?? 'query';
}
