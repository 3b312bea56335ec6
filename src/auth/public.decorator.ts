import { SetMetadata } from '@nestjs/common';
import { PUBLIC_KEY } from '../core/security.constants';

/**
 * Marks a route (or every route of a controller) as reachable without authentication.
 * Without it, every route requires a valid credential. Rate limits, headers, CORS, signing and
 * validation still apply to public routes.
 *
 * @example
 * ```ts
 * @Public()
 * @Get('health')
 * health() { return { status: 'ok' }; }
 * ```
 * @publicApi
 */
export const Public = (isPublic = true): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, isPublic);
