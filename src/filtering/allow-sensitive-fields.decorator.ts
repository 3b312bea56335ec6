import { SetMetadata } from '@nestjs/common';
import { ALLOW_SENSITIVE_FIELDS_KEY } from './filtering.constants';

/**
 * Lets the named denylisted fields through on one route (or controller), for the responses whose
 * purpose is to hand out a secret once: a login returning `refreshToken`, an API-key creation
 * returning `apiKey`. Every other denylisted field is still stripped. Names match like the
 * denylist (case, `_` and `-` ignored).
 *
 * @example
 * ```ts
 * @AllowSensitiveFields('refreshToken')
 * @Post('login')
 * login() { return { accessToken, refreshToken }; }
 * ```
 * @publicApi
 */
export const AllowSensitiveFields = (field: string, ...more: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ALLOW_SENSITIVE_FIELDS_KEY, [field, ...more]);
