import { SetMetadata } from '@nestjs/common';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { optionKeys, readBoolean, readNumber, readStrictSection } from '../core/options/validate.util';
import type { IdempotentRouteOptions } from './idempotency.options';
import { IDEMPOTENT_KEY } from './idempotency.constants';

const ROUTE_OPTION_KEYS = optionKeys<IdempotentRouteOptions>()(['required', 'ttlSeconds', 'leaseMs']);

/** Refuses what the module's own option resolver would refuse, with its rules, when the class is defined. */
function checkRouteOptions(options: IdempotentRouteOptions): void {
  const where = '@Idempotent()';
  const raw = readStrictSection(options, ROUTE_OPTION_KEYS, where);
  readBoolean(raw, 'required', where, true);
  const ttlSeconds = readNumber(raw, 'ttlSeconds', where, Infinity, {
    min: 1,
    max: 30 * 86_400,
    integer: true,
    unit: 's',
  });
  const leaseMs = readNumber(raw, 'leaseMs', where, 0, { min: 100, max: 600_000, integer: true, unit: 'ms' });
  if (ttlSeconds * 1000 < leaseMs)
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
