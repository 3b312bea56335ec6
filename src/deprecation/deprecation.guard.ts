import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequest, getResponse } from '../core/context/get-request';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../core/context/route-plan.cache';
import { setResponseHeader } from '../core/context/response.util';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { securityException } from '../core/errors/security-exception';
import { SecurityEvents } from '../core/events/security-events.service';
import { SecurityEventType } from '../core/events/security-event.interface';
import { DEPRECATED_KEY } from './deprecation.constants';
import type { DeprecatedMetadata } from './deprecated.decorator';

/** Header values of one deprecated route, computed once. */
interface DeprecationPlan {
  deprecation: string;
  sunset: string;
  sunsetMs: number;
  sunsetIso: string;
  link?: string;
  route: string;
}

/**
 * Adds the deprecation headers of `@Deprecated()` routes, answers 410 Gone after their sunset,
 * and reports every call as a `DEPRECATED_ROUTE_CALLED` event. Header strings are computed once
 * per route (controller class and handler); routes without the decorator cost one cache read.
 *
 * Registered as the last guard (after authentication and authorization, so the event carries the
 * principal and a retired route answers 410 only to callers allowed to call it). A guard rather
 * than an interceptor: everything it does happens before the handler, and a global interceptor
 * would make Nest wrap every handler of the app in an RxJS chain.
 *
 * @throws {GoneException} the route's sunset date has passed
 * @publicApi
 */
@Injectable()
export class DeprecationGuard implements CanActivate {
  private readonly plans: RoutePlanSlot<DeprecationPlan | null>;

  constructor(
    private readonly reflector: Reflector,
    private readonly events: SecurityEvents,
    routePlans: RoutePlanCache,
  ) {
    this.plans = routePlans.slot((cls, handler) => this.compile(cls, handler));
  }

  canActivate(ctx: ExecutionContext): true {
    const plan = this.plans.of(ctx);
    if (!plan) return true;
    const res = getResponse(ctx);
    setResponseHeader(res, 'Deprecation', plan.deprecation);
    setResponseHeader(res, 'Sunset', plan.sunset);
    if (plan.link) setResponseHeader(res, 'Link', plan.link);
    const gone = this.now() >= plan.sunsetMs;
    this.events.emit({
      type: SecurityEventType.DEPRECATED_ROUTE_CALLED,
      outcome: gone ? 'blocked' : 'info',
      reason: gone ? 'sunset_passed' : 'deprecated',
      request: getRequest(ctx),
      details: { route: plan.route, sunset: plan.sunsetIso },
    });
    if (gone) throw securityException(410, SecurityErrorCode.GONE, 'This endpoint has been retired');
    return true;
  }

  /** Hook: the current time in ms. */
  protected now(): number {
    return Date.now();
  }

  private compile(cls: RouteClass, handler: RouteHandler): DeprecationPlan | null {
    const meta = this.reflector.getAllAndOverride<DeprecatedMetadata | undefined>(DEPRECATED_KEY, [handler, cls]);
    if (!meta) return null;
    return {
      deprecation: `@${Math.floor(meta.sinceMs / 1000)}`,
      sunset: new Date(meta.sunsetMs).toUTCString(),
      sunsetMs: meta.sunsetMs,
      sunsetIso: new Date(meta.sunsetMs).toISOString(),
      link: meta.link ? `<${meta.link}>; rel="deprecation"; type="text/html"` : undefined,
      route: `${cls.name}.${handler.name}`,
    };
  }
}
