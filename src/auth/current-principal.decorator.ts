import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getRequest } from '../core/context/get-request';
import { getPrincipal } from '../core/context/request-state';
import type { Principal } from '../core/context/principal.interface';

/**
 * Injects the authenticated {@link Principal} (or one of its fields) into a handler parameter.
 * `undefined` on a `@Public()` route called without credentials.
 *
 * @example
 * ```ts
 * @Get('me')
 * me(@CurrentPrincipal() principal: Principal) { return principal; }
 * @Get('my-id')
 * myId(@CurrentPrincipal('id') id: string) { return id; }
 * ```
 * @publicApi
 */
export const CurrentPrincipal = createParamDecorator(
  (field: keyof Principal | undefined, ctx: ExecutionContext): unknown => {
    const principal = getPrincipal(getRequest(ctx));
    return field ? principal?.[field] : principal;
  },
);
