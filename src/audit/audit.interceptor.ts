import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Injectable,
  type NestInterceptor,
  RequestMethod,
} from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { type Observable, tap } from 'rxjs';
import { getRequest, type HttpRequestLike } from '../core/context/get-request';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../core/context/route-plan.cache';
import { SecurityEventType } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import { AUDIT_KEY } from './audit.constants';
import type { AuditMetadata } from './audit.decorator';

interface AuditPlan extends AuditMetadata {
  /** The status a successful call answers (`@HttpCode()`, else 201 for POST and 200 otherwise). */
  successStatus: number;
}

/**
 * Emits one `AUDIT` event per call of a route (or GraphQL query or mutation resolver) marked
 * `@Audit()`, once the handler has answered or failed; on GraphQL the resource id is read from the
 * argument named by `resourceParam`. Attached only when some route carries `@Audit()`; a no-op elsewhere.
 *
 * @publicApi
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly plans: RoutePlanSlot<AuditPlan | null>;

  constructor(
    private readonly events: SecurityEvents,
    private readonly reflector: Reflector,
    routePlans: RoutePlanCache,
  ) {
    this.plans = routePlans.slot((cls, handler) => this.compile(cls, handler));
  }

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const plan = this.plans.of(ctx);
    if (!plan) return next.handle();
    const req = getRequest(ctx);
    const resourceId = this.resourceIdOf(ctx, req, plan);
    let done = false;
    const record = (outcome: 'success' | 'failure', status: number) => {
      if (done) return;
      done = true;
      this.record(req, plan, outcome, status, resourceId);
    };
    return next.handle().pipe(
      tap({
        next: () => record('success', plan.successStatus),
        complete: () => record('success', plan.successStatus),
        error: (error: unknown) => record('failure', error instanceof HttpException ? error.getStatus() : 500),
      }),
    );
  }

  /** Writes the event. Override to add details (never bodies or secrets). */
  protected record(
    req: HttpRequestLike,
    plan: AuditPlan,
    outcome: 'success' | 'failure',
    status: number,
    resourceId: unknown = req.params?.[plan.resourceParam],
  ): void {
    const id = typeof resourceId === 'number' ? String(resourceId) : resourceId;
    this.events.emit({
      type: SecurityEventType.AUDIT,
      outcome,
      reason: plan.action,
      request: req,
      details: {
        action: plan.action,
        resource: plan.resource,
        ...(typeof id === 'string' ? { resourceId: id.length > 128 ? id.slice(0, 128) : id } : {}),
        status,
      },
    });
  }

  /** The route parameter, or on GraphQL the argument, named by `resourceParam`. */
  private resourceIdOf(ctx: ExecutionContext, req: HttpRequestLike, plan: AuditPlan): unknown {
    if (ctx.getType<string>() !== 'graphql') return req.params?.[plan.resourceParam];
    return ctx.getArgByIndex<Record<string, unknown> | undefined>(1)?.[plan.resourceParam];
  }

  private compile(cls: RouteClass, handler: RouteHandler): AuditPlan | null {
    const meta = this.reflector.getAllAndOverride<AuditMetadata | undefined>(AUDIT_KEY, [handler, cls]);
    if (!meta) return null;
    const code = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, handler);
    const method = this.reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler);
    return { ...meta, successStatus: code ?? (method === RequestMethod.POST ? 201 : 200) };
  }
}
