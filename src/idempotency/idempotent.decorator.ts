import { SetMetadata } from '@nestjs/common';
import type { IdempotentRouteOptions } from './idempotency.options';
import { IDEMPOTENT_KEY } from './idempotency.constants';

/**
 * Makes a route (or every non-GET/HEAD/OPTIONS route of a controller) idempotent: a request
 * carrying an `Idempotency-Key` runs once, and retries with the same key and payload get the
 * first response again, with `Idempotent-Replayed: true`. The handler wins over the class.
 *
 * @example
 * ```ts
 * @Post()
 * @Idempotent()
 * charge(@Body() dto: ChargeDto) { ... }
 * ```
 * @publicApi
 */
export const Idempotent = (options: IdempotentRouteOptions = {}): MethodDecorator & ClassDecorator =>
  SetMetadata(IDEMPOTENT_KEY, { ...options });
