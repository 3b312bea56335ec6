import { SetMetadata } from '@nestjs/common';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { IdempotentRouteOptions } from './idempotency.options';
import { IDEMPOTENT_KEY } from './idempotency.constants';

const ROUTE_OPTION_KEYS: ReadonlySet<string> = new Set(['required', 'ttlSeconds', 'leaseMs']);

function wholeNumberIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Refuses what the module's own option resolver would refuse, when the class is defined. */
function checkRouteOptions(options: IdempotentRouteOptions): void {
  const where = '@Idempotent()';
  for (const key of Object.keys(options)) {
    if (!ROUTE_OPTION_KEYS.has(key))
      throw SecurityConfigError.create(where, `has an unknown option "${key}"`, 'Use required, ttlSeconds or leaseMs');
  }
  const { required, ttlSeconds, leaseMs } = options;
  if (required !== undefined && typeof required !== 'boolean')
    throw SecurityConfigError.create(where, 'required must be a boolean');
  if (ttlSeconds !== undefined && !wholeNumberIn(ttlSeconds, 1, 30 * 86_400))
    throw SecurityConfigError.create(where, 'ttlSeconds must be a whole number from 1 to 2592000 (30 days)');
  if (leaseMs !== undefined && !wholeNumberIn(leaseMs, 100, 600_000))
    throw SecurityConfigError.create(where, 'leaseMs must be a whole number from 100 to 600000 (10 minutes)');
  if (ttlSeconds !== undefined && leaseMs !== undefined && ttlSeconds * 1000 < leaseMs)
    throw SecurityConfigError.create(
      where,
      `ttlSeconds (${ttlSeconds} s) is shorter than the in-flight lease (${leaseMs} ms)`,
      'Raise ttlSeconds or lower leaseMs',
    );
}

/**
 * Makes a route (or every non-GET/HEAD/OPTIONS route of a controller) idempotent: a request
 * carrying an `Idempotency-Key` runs once, and retries with the same key and payload get the
 * first response again, with `Idempotent-Replayed: true`. The handler wins over the class.
 * `leaseMs` gives a slow handler a longer in-flight lease than the module's `idempotency.leaseMs`.
 * Invalid or unknown options throw a `SecurityConfigError` when the class is defined.
 *
 * @example
 * ```ts
 * @Post()
 * @Idempotent({ leaseMs: 30_000 })
 * charge(@Body() dto: ChargeDto) { ... }
 * ```
 * @publicApi
 */
export const Idempotent = (options: IdempotentRouteOptions = {}): MethodDecorator & ClassDecorator => {
  checkRouteOptions(options);
  return SetMetadata(IDEMPOTENT_KEY, { ...options });
};
