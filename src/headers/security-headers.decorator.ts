import { SetMetadata } from '@nestjs/common';
import { checkHeader } from './headers.options';
import { SECURITY_HEADERS_KEY } from './headers.constants';

/**
 * Per-route header overrides: a string replaces (or adds) a header, `false` removes it. Names are
 * case-insensitive.
 *
 * @publicApi
 */
export type SecurityHeadersOverride = Readonly<Record<string, string | false>>;

/**
 * Overrides the security-header preset for one route or a whole controller (the handler's
 * metadata wins over the controller's). Names and values are checked when the class is defined
 * (at boot): a line break or an invalid name throws a `SecurityConfigError`. Applied by
 * `SecurityHeadersGuard`, so it has no effect when `headers.enabled` is false.
 *
 * @example
 * ```ts
 * @SecurityHeaders({ 'Cache-Control': 'public, max-age=300', 'Content-Security-Policy': false })
 * @Get('catalog')
 * catalog() {}
 * ```
 * @publicApi
 */
export const SecurityHeaders = (headers: SecurityHeadersOverride): MethodDecorator & ClassDecorator => {
  for (const [name, value] of Object.entries(headers)) {
    checkHeader(name, value === false ? '' : value, `@SecurityHeaders() "${name}"`);
  }
  return SetMetadata(SECURITY_HEADERS_KEY, { ...headers });
};
