import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt } from 'jose';
import type { HttpRequestLike } from '../../core/context/get-request';
import { SecurityConfigError } from '../../core/errors/security-config.error';
import { SecurityErrorCode } from '../../core/errors/error-codes';
import { Messages } from '../../core/errors/messages.constant';
import { securityException } from '../../core/errors/security-exception';
import { SecurityEventType } from '../../core/events/security-event.interface';
import { SecurityEvents } from '../../core/events/security-events.service';
import { SECURITY_OPTIONS } from '../../core/security.constants';
import type { AuthFeatureOptions } from '../auth.options';
import { TokenService, type TokenPair, type TokenSubject } from '../tokens/token.service';
import { appendSetCookies, readCookie, serializeCookie } from './cookie.util';
import { CsrfProtection } from './csrf-protection.service';
import { CsrfTokenError } from './csrf-token.error';
import type { ResolvedSessionCookieOptions } from './session-cookies.options';

/** What a browser session's login or refresh answers: the cookies carry the tokens. @publicApi */
export interface CookieSession {
  /**
   * The CSRF token: send it in the CSRF header (`X-CSRF-Token` by default) on every POST, PUT,
   * PATCH and DELETE. Also in the CSRF cookie, which scripts of the app's origin can read.
   */
  csrfToken: string;
  /** Access cookie lifetime, seconds: refresh before it ends. */
  expiresIn: number;
  /** Refresh cookie lifetime, seconds. */
  refreshExpiresIn: number;
}

/** The request being answered and its response (Express or Fastify), where the cookies go. @publicApi */
export interface SessionCookieContext {
  /** The framework request (`@Req()`): cookies are read from it, events carry its context. */
  request: unknown;
  /** The framework response (`@Res({ passthrough: true })`): the cookies are set on it. */
  response: unknown;
}

/** The session id a token names, read without verifying it (the caller verifies the token). */
function unverifiedSid(token: string): string | undefined {
  try {
    const sid = decodeJwt(token).sid;
    return typeof sid === 'string' ? sid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cookie sessions for browsers, configured by `auth.session`: logs in by setting the access and
 * refresh tokens as `HttpOnly; Secure; SameSite` cookies (access cookie `__Host-` prefixed and on
 * `Path=/`, refresh cookie only on `refreshPath`), with a signed double-submit CSRF token bound to
 * the session. The authentication guard accepts the access cookie and, on POST, PUT, PATCH and
 * DELETE, requires the CSRF token in the CSRF header (403 `CSRF_TOKEN_MISSING` /
 * `CSRF_TOKEN_INVALID`). Bearer tokens are unaffected. Works on Express and Fastify without
 * cookie-parser or @fastify/cookie.
 *
 * Refresh tokens rotate with reuse detection exactly as with {@link TokenService}.
 *
 * @example
 * ```ts
 * @Public()
 * @Post('session')
 * login(@Body() body: LoginDto, @Req() req: unknown, @Res({ passthrough: true }) res: unknown) {
 *   const user = this.users.verify(body.username, body.password);
 *   return this.sessions.issue({ id: user.id, roles: user.roles }, { request: req, response: res });
 * }
 * ```
 * @publicApi
 */
@Injectable()
export class SessionCookies {
  private readonly session?: ResolvedSessionCookieOptions;

  constructor(
    @Inject(SECURITY_OPTIONS) options: AuthFeatureOptions,
    private readonly tokens: TokenService,
    private readonly csrf: CsrfProtection,
    private readonly events: SecurityEvents,
  ) {
    this.session = options.auth.session;
  }

  /**
   * Starts a session for `subject` (a login): issues a token pair ({@link TokenService.issue}),
   * sets the access, refresh and CSRF cookies, and returns the CSRF token.
   */
  async issue(subject: TokenSubject, context: SessionCookieContext): Promise<CookieSession> {
    const session = this.options();
    const pair = await this.tokens.issue(subject, { request: context.request });
    const csrfToken = this.csrf.tokenFor(unverifiedSid(pair.accessToken) as string);
    appendSetCookies(context.response, this.cookies(session, pair, csrfToken));
    return { csrfToken, expiresIn: pair.expiresIn, refreshExpiresIn: pair.refreshExpiresIn };
  }

  /**
   * Rotates the session from the refresh cookie: checks the CSRF token against the refresh
   * token's session, exchanges the refresh token ({@link TokenService.refresh}: a retired token
   * ends the session) and sets both token cookies again. The CSRF token stays the same.
   * @throws {UnauthorizedException} AUTHENTICATION_REQUIRED without a refresh cookie; INVALID_TOKEN
   *   for an invalid, expired, revoked or reused refresh token
   * @throws {ForbiddenException} CSRF_TOKEN_MISSING / CSRF_TOKEN_INVALID
   */
  async refresh(context: SessionCookieContext): Promise<CookieSession> {
    const session = this.options();
    const req = context.request as HttpRequestLike;
    const refreshToken = readCookie(req, session.refreshCookie);
    if (refreshToken === undefined) {
      this.events.emit({
        type: SecurityEventType.AUTH_FAILED,
        outcome: 'failure',
        reason: 'refresh_cookie_missing',
        request: req,
      });
      throw securityException(401, SecurityErrorCode.AUTHENTICATION_REQUIRED, Messages.AUTHENTICATION_REQUIRED());
    }
    // The CSRF check comes first: a refused request must not rotate (and so retire) the token.
    // The session id is read unverified here; TokenService.refresh verifies the token right after.
    const csrfToken = this.checkCsrf(req, unverifiedSid(refreshToken));
    const pair = await this.tokens.refresh(refreshToken, { request: req });
    appendSetCookies(context.response, this.cookies(session, pair, csrfToken));
    return { csrfToken, expiresIn: pair.expiresIn, refreshExpiresIn: pair.refreshExpiresIn };
  }

  /**
   * Ends the session (a logout): checks the CSRF token when session cookies are present, revokes
   * the session of the access and refresh cookies ({@link TokenService.logout}) and clears the
   * cookies. Without session cookies it only clears them.
   * @throws {ForbiddenException} CSRF_TOKEN_MISSING / CSRF_TOKEN_INVALID
   */
  async end(context: SessionCookieContext): Promise<void> {
    const session = this.options();
    const req = context.request as HttpRequestLike;
    const accessToken = readCookie(req, session.accessCookie);
    const refreshToken = readCookie(req, session.refreshCookie);
    // A token cookie without a session id is no session of ours (garbage, or from elsewhere):
    // nothing to revoke, and clearing it is harmless whoever asks.
    const sid = unverifiedSid(accessToken ?? '') ?? unverifiedSid(refreshToken ?? '');
    if (sid !== undefined) {
      this.checkCsrf(req, sid);
      await this.tokens.logout({ accessToken, refreshToken }, { request: req });
    }
    this.clear(context.response);
  }

  /** Expires the access, refresh and CSRF cookies on `response` (no revocation). */
  clear(response: unknown): void {
    const session = this.options();
    const expired = { maxAge: 0, expires: new Date(0) };
    appendSetCookies(response, [
      serializeCookie(session.accessCookie, '', { ...this.attributes(session, true, '/'), ...expired }),
      serializeCookie(session.refreshCookie, '', {
        ...this.attributes(session, true, session.refreshPath),
        ...expired,
      }),
      serializeCookie(session.csrfCookie, '', { ...this.attributes(session, false, '/'), ...expired }),
    ]);
  }

  private cookies(session: ResolvedSessionCookieOptions, pair: TokenPair, csrfToken: string): string[] {
    return [
      serializeCookie(session.accessCookie, pair.accessToken, {
        ...this.attributes(session, true, '/'),
        maxAge: pair.expiresIn,
      }),
      serializeCookie(session.refreshCookie, pair.refreshToken, {
        ...this.attributes(session, true, session.refreshPath),
        maxAge: pair.refreshExpiresIn,
      }),
      // Readable by the app's scripts (they copy it into the header); it lives as long as the login.
      serializeCookie(session.csrfCookie, csrfToken, {
        ...this.attributes(session, false, '/'),
        maxAge: pair.refreshExpiresIn,
      }),
    ];
  }

  private attributes(session: ResolvedSessionCookieOptions, httpOnly: boolean, path: string) {
    return { httpOnly, secure: session.secure, sameSite: session.sameSite, path };
  }

  private checkCsrf(req: HttpRequestLike, sid: string | undefined): string {
    try {
      return this.csrf.check(req, sid);
    } catch (error) {
      if (error instanceof CsrfTokenError) throw this.csrf.reject(req, error);
      throw error;
    }
  }

  private options(): ResolvedSessionCookieOptions {
    if (!this.session) {
      throw SecurityConfigError.create(
        'auth.session',
        'is not set, so SessionCookies cannot issue cookie sessions',
        'Set auth.session.csrfSecret to 32+ random bytes',
      );
    }
    return this.session;
  }
}
