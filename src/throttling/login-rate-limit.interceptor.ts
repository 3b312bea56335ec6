import { createHash } from 'node:crypto';
import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Observable, tap } from 'rxjs';
import { resolveClientIp } from '../core/context/client-ip';
import { getRequest, getResponse, type HttpRequestLike } from '../core/context/get-request';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../core/context/route-plan.cache';
import { getSecurityState } from '../core/context/request-state';
import { setResponseHeader } from '../core/context/response.util';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SecurityEventType } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import type { ResolvedRateLimitOptions } from './rate-limit.options';
import type { RateLimitFeatureOptions } from './rate-limit.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { RELEASE_LOGIN_ATTEMPT, RESERVE_LOGIN_ATTEMPT, RESET_LOGIN_ATTEMPTS } from './login-attempt.script';
import { LOGIN_RATE_LIMIT_KEY } from './rate-limit.constants';
import { ipv6Prefix } from './rate-limit-base.guard';
import type { LoginRateLimitRouteOptions } from './rate-limit.decorator';
import { RateLimiterService } from './rate-limiter.service';

interface LoginPlan {
  maxAttempts: string;
  windowMs: string;
  usernameField: string;
}

/**
 * Runs for routes marked `@LoginRateLimit()` (a no-op elsewhere): counts failed attempts per
 * client IP + username (hashed: usernames never reach the store or logs), refuses with 429 once
 * `maxAttempts` are reached in the window, resets on success.
 *
 * @throws {HttpException} 429 `RATE_LIMITED` when the attempts are exhausted.
 * @publicApi
 */
@Injectable()
export class LoginRateLimitInterceptor implements NestInterceptor {
  private readonly options: ResolvedRateLimitOptions;
  private readonly plans: RoutePlanSlot<LoginPlan | null>;

  constructor(
    @Inject(SECURITY_OPTIONS) options: RateLimitFeatureOptions,
    private readonly limiter: RateLimiterService,
    private readonly events: SecurityEvents,
    private readonly reflector: Reflector,
    routePlans: RoutePlanCache,
  ) {
    this.options = options.rateLimit;
    this.plans = routePlans.slot((cls, handler) => this.compile(cls, handler));
  }

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> | Promise<Observable<unknown>> {
    const plan = this.plans.of(ctx);
    // Synchronous for every route without @LoginRateLimit(): no promise, no extra tick.
    if (!plan) return next.handle();
    return this.guardLogin(ctx, next, plan);
  }

  private async guardLogin(ctx: ExecutionContext, next: CallHandler, plan: LoginPlan): Promise<Observable<unknown>> {
    const req = getRequest(ctx);
    const key = this.keyFor(req, plan);
    const [admitted, , pttl] = await this.limiter.run(
      RESERVE_LOGIN_ATTEMPT,
      [key],
      [plan.maxAttempts, plan.windowMs],
      req,
    );
    if (admitted !== 1) {
      const retryAfter = Math.max(1, Math.ceil(pttl / 1000));
      const res = getResponse(ctx);
      if (res) setResponseHeader(res, 'Retry-After', retryAfter);
      this.events.emit({
        type: SecurityEventType.RATE_LIMITED,
        outcome: 'blocked',
        reason: 'login_attempts_exhausted',
        request: req,
        details: { tracker: 'ip+username', maxAttempts: Number(plan.maxAttempts), retryAfter },
        // One event per lockout episode; the refusals during it are counted into RATE_LIMIT_ENDED.
        episode: key,
      });
      throw securityException(429, SecurityErrorCode.RATE_LIMITED, Messages.RATE_LIMITED(), { retryAfter });
    }
    let settled = false;
    return next.handle().pipe(
      tap({
        next: () => {
          if (settled) return;
          settled = true;
          this.settle(RESET_LOGIN_ATTEMPTS, key, req);
          this.events.loginSucceeded({ request: req, username: this.usernameOf(req, plan) });
        },
        complete: () => {
          if (settled) return;
          settled = true;
          this.settle(RESET_LOGIN_ATTEMPTS, key, req);
          this.events.loginSucceeded({ request: req, username: this.usernameOf(req, plan) });
        },
        error: (error: unknown) => {
          if (settled) return;
          settled = true;
          const status = error instanceof HttpException ? error.getStatus() : 500;
          // A failed login (4xx) keeps its reserved attempt; a server error gives it back.
          if (status >= 500) this.settle(RELEASE_LOGIN_ATTEMPT, key, req);
          // A 4xx is a refused login (wrong password, unknown user, invalid body); a 5xx is not the user's.
          else
            this.events.loginFailed({
              request: req,
              username: this.usernameOf(req, plan),
              reason: loginFailureReason(error),
              details: { status },
            });
        },
      }),
    );
  }

  /** `{login:<sha256(ip, username)>}`. Override to key attempts differently (e.g. username only). */
  protected keyFor(req: HttpRequestLike, plan: LoginPlan): string {
    const address = getSecurityState(req).ip ?? resolveClientIp(req, this.options.isTrustedProxy);
    // An IPv6 subscriber owns a whole prefix: rotating addresses must not reset its attempts.
    const ip = address.indexOf(':') === -1 ? address : ipv6Prefix(address, this.options.ipv6Groups);
    const username = (this.usernameOf(req, plan) ?? '').trim().toLowerCase();
    const digest = createHash('sha256').update(`${ip}\n${username}`).digest('base64url');
    return `{login:${digest}}`;
  }

  /** The username field of the login body, if it is a string. */
  protected usernameOf(req: HttpRequestLike, plan: LoginPlan): string | undefined {
    const body = req.body as Record<string, unknown> | undefined;
    const raw = body && typeof body === 'object' ? body[plan.usernameField] : undefined;
    return typeof raw === 'string' ? raw : undefined;
  }

  private settle(script: typeof RESET_LOGIN_ATTEMPTS, key: string, req: HttpRequestLike): void {
    try {
      const result = this.limiter.run(script, [key], [], req);
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // Fail-closed storage: the reservation simply expires with its window.
    }
  }

  /** `@LoginRateLimit()` is a method decorator: the handler's metadata alone decides (`_cls` keys the cache). */
  private compile(_cls: RouteClass, handler: RouteHandler): LoginPlan | null {
    const meta = this.reflector.get<LoginRateLimitRouteOptions | undefined>(LOGIN_RATE_LIMIT_KEY, handler);
    if (!meta) return null;
    const login = this.options.login;
    return {
      maxAttempts: String(meta.maxAttempts ?? login.maxAttempts),
      windowMs: String(meta.windowSeconds !== undefined ? meta.windowSeconds * 1000 : login.windowMs),
      usernameField: meta.usernameField ?? login.usernameField,
    };
  }
}

/** The `code` of a refused login's error body (`INVALID_CREDENTIALS`) in snake case, else `invalid_credentials`. */
function loginFailureReason(error: unknown): string {
  if (!(error instanceof HttpException)) return 'invalid_credentials';
  const body = error.getResponse();
  const code = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code.toLowerCase() : 'invalid_credentials';
}
