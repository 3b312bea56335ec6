import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequest, getResponse } from '../../core/context/get-request';
import type { Principal } from '../../core/context/principal.interface';
import { getPrincipal } from '../../core/context/request-state';
import { setResponseHeader } from '../../core/context/response.util';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../../core/context/route-plan.cache';
import { SecurityErrorCode } from '../../core/errors/error-codes';
import { Messages } from '../../core/errors/messages.constant';
import { securityException } from '../../core/errors/security-exception';
import { SecurityEventType } from '../../core/events/security-event.interface';
import { SecurityEvents } from '../../core/events/security-events.service';
import { SECURITY_OPTIONS } from '../../core/security.constants';
import type { AuthFeatureOptions } from '../auth.options';
import { REQUIRE_MFA_KEY, type RequireMfaOptions } from './require-mfa.decorator';

/** A `@RequireMfa()` route, computed once per (controller, handler). @internal */
interface MfaRoute {
  maxAgeSec: number;
  /** The RFC 9470 challenge, built once. */
  challenge: string;
}

/**
 * Enforces `@RequireMfa()`: the access token must list `mfa` in `amr` (RFC 8176) and its
 * `auth_time` must be at most `maxAgeSec` old. Fails closed: no principal, an API key, a token
 * without `amr` or `auth_time`, or an `auth_time` in the future all answer 401 `MFA_REQUIRED` with
 * `WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age=…` (RFC 9470 §3), and
 * emit `MFA_REQUIRED`. Attached only when some route carries `@RequireMfa()`.
 *
 * @throws {UnauthorizedException} MFA_REQUIRED
 * @publicApi
 */
@Injectable()
export class MfaGuard implements CanActivate {
  private readonly routes: RoutePlanSlot<MfaRoute | null>;
  private readonly defaultMaxAgeSec: number;
  private readonly clockToleranceSec: number;

  constructor(
    private readonly reflector: Reflector,
    @Inject(SECURITY_OPTIONS) options: AuthFeatureOptions,
    private readonly events: SecurityEvents,
    routePlans: RoutePlanCache,
  ) {
    this.defaultMaxAgeSec = options.auth.mfa.maxAgeSec;
    this.clockToleranceSec = options.auth.jwt.clockToleranceSec;
    this.routes = routePlans.slot((cls, handler) => this.computeRoute(cls, handler));
  }

  canActivate(ctx: ExecutionContext): boolean {
    const route = this.routes.of(ctx);
    if (route === null) return true;
    const req = getRequest(ctx);
    const principal = getPrincipal(req);
    const reason = this.refusal(principal, route.maxAgeSec);
    if (reason === undefined) return true;
    this.events.emit({
      type: SecurityEventType.MFA_REQUIRED,
      outcome: 'blocked',
      reason,
      request: req,
      ...(principal ? { principalId: principal.id } : {}),
      details: { maxAgeSec: route.maxAgeSec },
    });
    this.throwMfaRequired(ctx, route.challenge);
  }

  /** Why `principal` does not pass (`undefined`: it does). Override to accept other proofs. */
  protected refusal(principal: Principal | undefined, maxAgeSec: number): string | undefined {
    if (!principal) return 'no_principal';
    if (principal.type !== 'user') return 'not_a_user_login';
    const { amr, auth_time: authTime } = principal.claims;
    if (!Array.isArray(amr) || !amr.includes('mfa')) return 'no_mfa';
    if (typeof authTime !== 'number' || !Number.isFinite(authTime)) return 'no_auth_time';
    const age = this.nowSec() - authTime;
    if (age < -this.clockToleranceSec) return 'auth_time_in_future';
    return age > maxAgeSec ? 'mfa_too_old' : undefined;
  }

  /** The current time in seconds. Override to inject a clock. */
  protected nowSec(): number {
    return Date.now() / 1000;
  }

  /** Sets the RFC 9470 challenge and throws the 401. Override to change the response. */
  protected throwMfaRequired(ctx: ExecutionContext, challenge: string): never {
    setResponseHeader(getResponse(ctx), 'WWW-Authenticate', challenge);
    throw securityException(401, SecurityErrorCode.MFA_REQUIRED, Messages.MFA_REQUIRED());
  }

  private computeRoute(cls: RouteClass, handler: RouteHandler): MfaRoute | null {
    const options = this.reflector.getAllAndOverride<RequireMfaOptions | undefined>(REQUIRE_MFA_KEY, [handler, cls]);
    if (!options) return null;
    const maxAgeSec = options.maxAgeSec ?? this.defaultMaxAgeSec;
    return {
      maxAgeSec,
      challenge: `Bearer error="insufficient_user_authentication", error_description="${Messages.MFA_REQUIRED()}", max_age=${maxAgeSec}`,
    };
  }
}
