import { SetMetadata } from '@nestjs/common';
import { SCOPES_KEY } from './auth.constants';

/**
 * Requires every listed scope (OAuth `scope`/`scp` claim, or the API key's scopes). Scopes on the
 * controller and on the handler add up. Missing scopes → 403 `INSUFFICIENT_SCOPE`.
 *
 * @example
 * ```ts
 * @Scopes('reports:read')
 * @Get('reports')
 * reports() {}
 * ```
 * @throws {ForbiddenException} INSUFFICIENT_SCOPE, from the authentication guard
 * @publicApi
 */
export const Scopes = (...scopes: string[]): MethodDecorator & ClassDecorator => SetMetadata(SCOPES_KEY, scopes);
