import { SetMetadata } from '@nestjs/common';
import type { AuthMethod } from './auth.options';
import { AUTH_METHODS_KEY } from './auth.constants';

/**
 * Chooses which authentication methods a route (or every route of a controller) accepts. The
 * handler wins over the class. Without it, `auth.defaultMethods` apply.
 *
 * @example
 * ```ts
 * @Auth('api-key')
 * @Get('reports')
 * reports() {}
 *
 * @Auth(['jwt', 'api-key'])
 * @Controller('orders')
 * export class OrdersController {}
 * ```
 * @publicApi
 */
export const Auth = (methods: AuthMethod | readonly AuthMethod[]): MethodDecorator & ClassDecorator =>
  SetMetadata(AUTH_METHODS_KEY, typeof methods === 'string' ? [methods] : [...methods]);
