import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { PUBLIC_KEY } from '../security.constants';
import type { RouteClass, RouteHandler } from './route-plan.cache';

/**
 * Whether the handler or its controller is marked `@Public()`. The handler wins over the class,
 * so `@Public(false)` on a method re-protects one route of a public controller.
 *
 * @internal
 */
export function isPublic(reflector: Reflector, ctx: ExecutionContext): boolean {
  return isPublicRoute(reflector, ctx.getClass(), ctx.getHandler());
}

/** {@link isPublic} for `handler` as a route of `cls` (route plans are compiled from these). @internal */
export function isPublicRoute(reflector: Reflector, cls: RouteClass, handler: RouteHandler): boolean {
  return reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, [handler, cls]) === true;
}
