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
import { RELEASE_LOGIN_ATTEMPT, RESERVE_LOGIN_ATTEMPT } from './login-attempt.script';
import { loginKeys, trackedAddress, type LoginKeys } from './login-keys.util';
import {
  MAX_TRACKED_IPS,
  RELEASE_USERNAME_ATTEMPT,
  RESERVE_USERNAME_ATTEMPT,
  SUCCEED_USERNAME_ATTEMPT,
} from './login-protection.script';
import type { ScriptReply, StorageScript } from '../storage/security-storage.interface';
import { LOGIN_RATE_LIMIT_KEY } from './rate-limit.constants';
import type { LoginRateLimitRouteOptions } from './rate-limit.decorator';
import { RateLimiterService } from './rate-limiter.service';

interface LoginPlan {
  usernameField: string;
  /** RESERVE_USERNAME_ATTEMPT's ARGV after the IP digest. */
  userArgs: string[];
  /** The same without the username counter, for attempts that name no username. */
  noUserArgs: string[];
  /** Whether the username counter is on (RELEASE_USERNAME_ATTEMPT's ARGV). */
  perUser: '0' | '1';
  /** RESERVE_LOGIN_ATTEMPT's ARGV for the per-IP counter; undefined when off. */
  ipArgs?: string[];
  /** The limit of each scope, for events. */
  limits: Record<LoginScope, number>;
}

/** Which login counter refused an attempt. @publicApi */
export type LoginScope = 'ip+username' | 'username' | 'ip';

/** The policy name each scope is counted under in metrics (`login` is the IP + username one). */
const POLICY: Record<LoginScope, string> = { 'ip+username': 'login', username: 'login.username', ip: 'login.ip' };

interface Attempt {
  keys: LoginKeys;
  username: string | undefined;
  /** Whether the per-username counter applies (on, and the attempt names a username). */
  countUser: '0' | '1';
  /** Whether the per-IP counter applies (on, and the IP is not allowlisted). */
  countIp: boolean;
}

interface Refusal {
  scope: LoginScope;
  key: string;
  pttl: number;
}

/**
 * Runs for routes marked `@LoginRateLimit()` (a no-op elsewhere): counts failed attempts per client
 * IP + username, per username from any IP (`rateLimit.login.perUsername`) and per IP across
 * usernames (`rateLimit.login.perIp`), all hashed (no username or address reaches the store or the
 * logs). An attempt is reserved on every counter before the handler runs, kept when the handler
 * answers 4xx, given back on a 5xx; a success clears the username's counters and gives back the
 * IP's attempt. Past any limit the route answers 429 with `Retry-After` (even for the right
 * password) and emits one `RATE_LIMITED` per episode naming the counter (`details.tracker`).
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
    const attempt = this.attemptOf(req, plan);
    const refusal = await this.reserve(attempt, plan, req);
    if (refusal) this.refuse(ctx, req, attempt, plan, refusal);
    const { keys } = attempt;
    let settled = false;
    const succeeded = () => {
      if (settled) return;
      settled = true;
      this.settle(SUCCEED_USERNAME_ATTEMPT, [keys.ipUser, keys.user, keys.ips], [keys.ipDigest], req);
      if (attempt.countIp) this.settle(RELEASE_LOGIN_ATTEMPT, [keys.ip], [], req);
      this.events.loginSucceeded({ request: req, username: attempt.username });
    };
    return next.handle().pipe(
      tap({
        next: succeeded,
        complete: succeeded,
        error: (error: unknown) => {
          if (settled) return;
          settled = true;
          const status = error instanceof HttpException ? error.getStatus() : 500;
          // A failed login (4xx) keeps its reserved attempts; a server error gives them back.
          if (status >= 500) this.release(attempt, plan, req);
          // A 4xx is a refused login (wrong password, unknown user, invalid body); a 5xx is not the user's.
          else
            this.events.loginFailed({
              request: req,
              username: attempt.username,
              reason: loginFailureReason(error),
              details: { status },
            });
        },
      }),
    );
  }

  /**
   * Reserves the attempt on the username's counters (one script: one slot) and on the IP's (its
   * own tag) in parallel: one round trip of latency on Redis, synchronous in memory. When one
   * refuses, what the other reserved is given back.
   */
  private async reserve(attempt: Attempt, plan: LoginPlan, req: HttpRequestLike): Promise<Refusal | undefined> {
    const { keys } = attempt;
    const userReply = this.limiter.run(
      RESERVE_USERNAME_ATTEMPT,
      [keys.ipUser, keys.user, keys.ips],
      [keys.ipDigest, ...(attempt.countUser === '1' ? plan.userArgs : plan.noUserArgs)],
      req,
    );
    const ipReply =
      attempt.countIp && plan.ipArgs ? this.limiter.run(RESERVE_LOGIN_ATTEMPT, [keys.ip], plan.ipArgs, req) : undefined;
    // Both synchronous on the memory store: no promise to wait for.
    const [user, ip] =
      userReply instanceof Promise || ipReply instanceof Promise
        ? await Promise.all([userReply, ipReply])
        : [userReply, ipReply];
    const userRefused = user[0] !== 1;
    const ipRefused = ip !== undefined && ip[0] !== 1;
    if (!userRefused && !ipRefused) return undefined;
    // Give back what the other counter reserved: a refused attempt counts nowhere.
    if (!userRefused) this.settle(RELEASE_USERNAME_ATTEMPT, [keys.ipUser, keys.user], [attempt.countUser], req);
    if (ip !== undefined && !ipRefused) this.settle(RELEASE_LOGIN_ATTEMPT, [keys.ip], [], req);
    const byUser: Refusal | undefined = userRefused
      ? user[1] === 1
        ? { scope: 'ip+username', key: keys.ipUser, pttl: user[2] }
        : { scope: 'username', key: keys.user, pttl: user[2] }
      : undefined;
    const byIp: Refusal | undefined = ipRefused ? { scope: 'ip', key: keys.ip, pttl: ip[2] } : undefined;
    // The caller may retry when every refusing counter allows it: report the one that blocks longer.
    if (byUser && byIp) return byIp.pttl > byUser.pttl ? byIp : byUser;
    return byUser ?? byIp;
  }

  private refuse(
    ctx: ExecutionContext,
    req: HttpRequestLike,
    attempt: Attempt,
    plan: LoginPlan,
    refusal: Refusal,
  ): never {
    const retryAfter = Math.max(1, Math.ceil(refusal.pttl / 1000));
    const res = getResponse(ctx);
    if (res) setResponseHeader(res, 'Retry-After', retryAfter);
    const usernameHash =
      refusal.scope !== 'ip' && attempt.username !== undefined && this.events.enabled
        ? { usernameHash: this.events.hashUsername(attempt.username) }
        : {};
    this.events.emit({
      type: SecurityEventType.RATE_LIMITED,
      outcome: 'blocked',
      reason: 'login_attempts_exhausted',
      request: req,
      details: {
        tracker: refusal.scope,
        policies: [POLICY[refusal.scope]],
        maxAttempts: plan.limits[refusal.scope],
        retryAfter,
        ...usernameHash,
      },
      // One event per lockout episode; the refusals during it are counted into RATE_LIMIT_ENDED.
      episode: refusal.key,
    });
    throw securityException(429, SecurityErrorCode.RATE_LIMITED, Messages.RATE_LIMITED(), { retryAfter });
  }

  /** Gives back every counter's attempt (a server error is not the caller's failure). */
  private release(attempt: Attempt, plan: LoginPlan, req: HttpRequestLike): void {
    const { keys } = attempt;
    this.settle(RELEASE_USERNAME_ATTEMPT, [keys.ipUser, keys.user], [attempt.countUser], req);
    if (attempt.countIp) this.settle(RELEASE_LOGIN_ATTEMPT, [keys.ip], [], req);
  }

  private attemptOf(req: HttpRequestLike, plan: LoginPlan): Attempt {
    const address = this.clientOf(req);
    const username = this.usernameOf(req, plan);
    const named = username !== undefined && username.trim() !== '';
    return {
      // A missing username is keyed as "": still this IP's attempt, but nobody's account, so no
      // per-username lockout (requests without one would otherwise lock each other out).
      keys: loginKeys(trackedAddress(address, this.options.ipv6Groups), username ?? ''),
      username,
      countUser: named ? plan.perUser : '0',
      countIp: plan.ipArgs !== undefined && !this.options.isAllowlisted?.(address),
    };
  }

  /** The client address attempts are counted for (IPv6 by its prefix). Override to track clients differently. */
  protected clientOf(req: HttpRequestLike): string {
    return getSecurityState(req).ip ?? resolveClientIp(req, this.options.isTrustedProxy);
  }

  /** The username field of the login body, if it is a string. */
  protected usernameOf(req: HttpRequestLike, plan: Pick<LoginPlan, 'usernameField'>): string | undefined {
    const body = req.body as Record<string, unknown> | undefined;
    const raw = body && typeof body === 'object' ? body[plan.usernameField] : undefined;
    return typeof raw === 'string' ? raw : undefined;
  }

  private settle(script: StorageScript<ScriptReply>, keys: string[], args: string[], req: HttpRequestLike): void {
    try {
      const result = this.limiter.run(script, keys, args, req);
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
    const maxAttempts = meta.maxAttempts ?? login.maxAttempts;
    const windowMs = meta.windowSeconds !== undefined ? meta.windowSeconds * 1000 : login.windowMs;
    const perUser = login.perUsername;
    const perIp = login.perIp;
    // ARGV after the IP digest: ip + username limit, username limit (0: off), set ttl, set bound.
    // The IP set outlives every counter it lists.
    const userArgs = (maxUser: number) => [
      String(maxAttempts),
      String(windowMs),
      String(maxUser),
      String(perUser?.windowMs ?? 0),
      String(Math.max(windowMs, perUser?.windowMs ?? 0)),
      String(MAX_TRACKED_IPS),
    ];
    return {
      usernameField: meta.usernameField ?? login.usernameField,
      userArgs: userArgs(perUser?.maxAttempts ?? 0),
      noUserArgs: userArgs(0),
      perUser: perUser ? '1' : '0',
      ipArgs: perIp ? [String(perIp.maxAttempts), String(perIp.windowMs)] : undefined,
      limits: { 'ip+username': maxAttempts, username: perUser?.maxAttempts ?? 0, ip: perIp?.maxAttempts ?? 0 },
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
