import { SetMetadata } from '@nestjs/common';
import { resolveRateLimitPolicy, type RateLimitPolicy, type ResolvedRateLimitPolicy } from './rate-limit.options';
import { optionKeys, readNumber, readStrictSection, readString } from '../core/options/validate.util';
import { LOGIN_RATE_LIMIT_KEY, RATE_LIMIT_KEY, SKIP_RATE_LIMIT_KEY } from './rate-limit.constants';

/**
 * Gives a route (or every route of a controller) its own per-IP quotas. A name that matches a
 * module policy (`default`, ...) replaces it for this route, with a budget of its own; a new name
 * adds a quota. The handler's decorator wins over the controller's. Invalid values throw at boot.
 *
 * @example
 * ```ts
 * @RateLimit({ default: { limit: 5, windowSeconds: 60 } })
 * @Post('password-reset')
 * reset() {}
 * ```
 * @publicApi
 */
export function RateLimit(policies: Record<string, RateLimitPolicy>): MethodDecorator & ClassDecorator {
  const compiled: ResolvedRateLimitPolicy[] = Object.keys(policies).map((name) =>
    resolveRateLimitPolicy(name, policies[name], `@RateLimit(${name})`),
  );
  return SetMetadata(RATE_LIMIT_KEY, compiled);
}

/**
 * Exempts a route (or a controller) from rate limiting: every policy and tier, or only the named
 * ones. `@SkipThrottle()` from @nestjs/throttler is honoured as well.
 *
 * @example
 * ```ts
 * @SkipRateLimit()
 * @Get('health')
 * health() {}
 * ```
 * @publicApi
 */
export function SkipRateLimit(...policies: string[]): MethodDecorator & ClassDecorator {
  return SetMetadata(SKIP_RATE_LIMIT_KEY, policies.length === 0 ? true : policies);
}

/** Per-route settings of `@LoginRateLimit()`; the rest comes from `rateLimit.login`. @publicApi */
export interface LoginRateLimitRouteOptions {
  /** Body field holding the username. @default rateLimit.login.usernameField ('username') */
  usernameField?: string;
  /** Failed attempts allowed per IP + username. @default rateLimit.login.maxAttempts (5) */
  maxAttempts?: number;
  /** Window in seconds. @default rateLimit.login.windowSeconds (300) */
  windowSeconds?: number;
}

const LOGIN_ROUTE_KEYS = optionKeys<LoginRateLimitRouteOptions>()(['usernameField', 'maxAttempts', 'windowSeconds']);

/**
 * Brute-force protection for a login route: counts failed attempts (the handler throws a 4xx) per
 * client IP + username, answers 429 once `maxAttempts` is reached within the window, and resets
 * on a successful login. Server errors (5xx) are not counted.
 *
 * @example
 * ```ts
 * @LoginRateLimit()
 * @Post('login')
 * login(@Body() dto: LoginDto) {}
 * ```
 * @publicApi
 */
export function LoginRateLimit(options: LoginRateLimitRouteOptions = {}): MethodDecorator {
  const path = '@LoginRateLimit()';
  const raw = readStrictSection(options, LOGIN_ROUTE_KEYS, path);
  const checked: LoginRateLimitRouteOptions = {};
  if (raw.maxAttempts !== undefined)
    checked.maxAttempts = readNumber(raw, 'maxAttempts', path, 5, { min: 1, integer: true });
  if (raw.windowSeconds !== undefined) {
    checked.windowSeconds = readNumber(raw, 'windowSeconds', path, 300, { min: 1, max: 86_400, integer: true });
  }
  if (raw.usernameField !== undefined) checked.usernameField = readString(raw, 'usernameField', path, 'username');
  return SetMetadata(LOGIN_RATE_LIMIT_KEY, checked);
}
