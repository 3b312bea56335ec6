import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getResponse } from '../core/context/get-request';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../core/context/route-plan.cache';
import { removeResponseHeader, setResponseHeader } from '../core/context/response.util';
import { SECURITY_HEADERS_KEY } from './headers.constants';
import type { SecurityHeadersOverride } from './security-headers.decorator';

/** A compiled override: headers to set and headers to remove. */
interface HeaderPlan {
  set: Array<[string, string]>;
  remove: string[];
}

const NONE: HeaderPlan = { set: [], remove: [] };

/**
 * Applies `@SecurityHeaders()` overrides on top of the preset the edge wrote. The plan of each
 * route (controller class and handler) is compiled once and cached; routes without overrides cost
 * one cache read.
 *
 * A guard that never refuses, registered after the access-control guards: it runs exactly where
 * an interceptor would (after every guard admitted the request, before the handler), without
 * making Nest wrap every handler in an RxJS chain.
 *
 * @publicApi
 */
@Injectable()
export class SecurityHeadersGuard implements CanActivate {
  private readonly plans: RoutePlanSlot<HeaderPlan>;

  constructor(
    private readonly reflector: Reflector,
    routePlans: RoutePlanCache,
  ) {
    this.plans = routePlans.slot((cls, handler) => this.compile(cls, handler));
  }

  canActivate(ctx: ExecutionContext): true {
    const plan = this.plans.of(ctx);
    if (plan !== NONE) {
      const res = getResponse(ctx);
      for (const name of plan.remove) removeResponseHeader(res, name);
      for (const [name, value] of plan.set) setResponseHeader(res, name, value);
    }
    return true;
  }

  private compile(cls: RouteClass, handler: RouteHandler): HeaderPlan {
    const meta = this.reflector.getAllAndOverride<SecurityHeadersOverride | undefined>(SECURITY_HEADERS_KEY, [
      handler,
      cls,
    ]);
    return meta ? compileOverride(meta) : NONE;
  }
}

function compileOverride(meta: SecurityHeadersOverride): HeaderPlan {
  const plan: HeaderPlan = { set: [], remove: [] };
  for (const [name, value] of Object.entries(meta)) {
    if (value === false) plan.remove.push(name.toLowerCase());
    else plan.set.push([name.toLowerCase(), value]);
  }
  return plan;
}
