import { SetMetadata } from '@nestjs/common';

/** Metadata key written by `@RequireMfa()`. @publicApi */
export const REQUIRE_MFA_KEY = 'security:require-mfa';

/** What `@RequireMfa()` asks of a route. @publicApi */
export interface RequireMfaOptions {
  /**
   * How old the step-up may be, in seconds (from the token's `auth_time`).
   * @default auth.mfa.maxAgeSec (900)
   */
  maxAgeSec?: number;
}

/**
 * Requires a recent multi-factor step-up: an access token whose `amr` claim (RFC 8176) lists
 * `mfa` and whose `auth_time` is at most `maxAgeSec` old, as `TokenService.stepUp()` issues.
 * Anything else, a token without those claims or an API key included, answers 401 `MFA_REQUIRED`
 * with `WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age=…` (RFC 9470).
 * On a controller it covers every route; a handler's own `@RequireMfa()` wins over the controller's.
 * Checked after authentication and authorization: a caller who may not do this gets 403, not an
 * invitation to step up.
 *
 * @example
 * ```ts
 * @RequireMfa({ maxAgeSec: 300 })
 * @Delete(':id')
 * remove(@Param('id') id: string) {}
 * ```
 * @throws {UnauthorizedException} MFA_REQUIRED, from the step-up guard
 * @publicApi
 */
export const RequireMfa = (options: RequireMfaOptions = {}): MethodDecorator & ClassDecorator => {
  const maxAgeSec = options.maxAgeSec;
  if (maxAgeSec !== undefined && !(Number.isInteger(maxAgeSec) && maxAgeSec > 0)) {
    throw new TypeError(
      `@RequireMfa(): maxAgeSec must be a positive whole number of seconds, got ${String(maxAgeSec)}`,
    );
  }
  return SetMetadata(REQUIRE_MFA_KEY, { ...options });
};
