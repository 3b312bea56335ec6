import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { PUBLIC_KEY } from '../security.constants';

/**
 * Whether the handler or its controller is marked `@Public()`. The handler wins over the class,
 * so `@Public(false)` on a method re-protects one route of a public controller.
 *
 * @internal
 */
export function isPublic(reflector: Reflector, ctx: ExecutionContext): boolean {
  return reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, [ctx.getHandler(), ctx.getClass()]) === true;
}
