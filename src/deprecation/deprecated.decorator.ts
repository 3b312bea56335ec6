import { SetMetadata } from '@nestjs/common';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { DEPRECATED_KEY } from './deprecation.constants';

/** What `@Deprecated()` takes. @publicApi */
export interface DeprecatedOptions {
  /** When the route stops working (410 Gone from then on). A Date or an ISO-8601 string. */
  sunset: Date | string;
  /** Documentation of the deprecation / migration guide (absolute http(s) URL), sent as `Link`. */
  link?: string;
  /**
   * When the route was (or will be) deprecated, for the `Deprecation` header.
   * @default the moment the class is defined (process start)
   */
  since?: Date | string;
}

/** Metadata stored by `@Deprecated()`, already validated. @internal */
export interface DeprecatedMetadata {
  sinceMs: number;
  sunsetMs: number;
  link?: string;
}

const URL_SAFE = /^https?:\/\/[^\s<>"]+$/;

function toMs(value: Date | string, what: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    throw SecurityConfigError.create(
      `@Deprecated() ${what}`,
      `is not a valid date (${String(value)})`,
      'Use a Date or an ISO-8601 string such as "2026-12-31T00:00:00Z"',
    );
  }
  return ms;
}

/**
 * Marks a route (or a whole controller) as deprecated: every response carries `Deprecation`
 * (RFC 9745, `@<epoch seconds>`), `Sunset` (RFC 8594 HTTP-date) and, with `link`,
 * `Link: <…>; rel="deprecation"`. From the sunset date on, the route answers 410 Gone. Each call
 * emits a `DEPRECATED_ROUTE_CALLED` event, so remaining callers can be counted. Invalid dates or
 * links throw a `SecurityConfigError` when the class is defined.
 *
 * @example
 * ```ts
 * @Deprecated({ sunset: '2026-12-31T00:00:00Z', link: 'https://api.example.com/docs/v2-migration' })
 * @Get('v1/orders')
 * listV1() {}
 * ```
 * @publicApi
 */
export const Deprecated = (options: DeprecatedOptions): MethodDecorator & ClassDecorator => {
  const sunsetMs = toMs(options?.sunset, 'sunset');
  const sinceMs = options.since === undefined ? Date.now() : toMs(options.since, 'since');
  if (sinceMs > sunsetMs) {
    throw SecurityConfigError.create('@Deprecated() since', 'is after the sunset date', 'Deprecate before the sunset');
  }
  if (options.link !== undefined && (typeof options.link !== 'string' || !URL_SAFE.test(options.link))) {
    throw SecurityConfigError.create(
      '@Deprecated() link',
      'must be an absolute http(s) URL without spaces, quotes or angle brackets',
      'Use e.g. "https://api.example.com/docs/deprecations"',
    );
  }
  const meta: DeprecatedMetadata = { sinceMs, sunsetMs, link: options.link };
  return SetMetadata(DEPRECATED_KEY, meta);
};
