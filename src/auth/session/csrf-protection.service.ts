import { type HttpException, Inject, Injectable } from '@nestjs/common';
import { headerValue, type HttpRequestLike } from '../../core/context/get-request';
import { SecurityErrorCode } from '../../core/errors/error-codes';
import { Messages } from '../../core/errors/messages.constant';
import { securityException } from '../../core/errors/security-exception';
import { SecurityEventType } from '../../core/events/security-event.interface';
import { SecurityEvents } from '../../core/events/security-events.service';
import { SECURITY_OPTIONS } from '../../core/security.constants';
import type { AuthFeatureOptions } from '../auth.options';
import { readCookie } from './cookie.util';
import { CsrfTokenError } from './csrf-token.error';
import { sameToken, signCsrfToken, verifyCsrfToken } from './csrf-token.util';
import type { ResolvedSessionCookieOptions } from './session-cookies.options';

/** RFC 9110's safe methods; every other method (custom ones included) needs the CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * Signs and checks the session-bound CSRF tokens of cookie sessions (`auth.session`). The token
 * must come back twice: in the CSRF cookie, which the browser sends by itself, and in the CSRF
 * header, which only a script running on the app's own origin can set. Both must be equal, and
 * the token's HMAC must bind it to the session that authenticates the request.
 *
 * @internal
 */
@Injectable()
export class CsrfProtection {
  readonly session?: ResolvedSessionCookieOptions;

  constructor(
    @Inject(SECURITY_OPTIONS) options: AuthFeatureOptions,
    private readonly events: SecurityEvents,
  ) {
    this.session = options.auth.session;
  }

  /** Whether `req` may change state: any method but GET, HEAD, OPTIONS and TRACE (fails closed on unknown methods). */
  isUnsafe(req: HttpRequestLike): boolean {
    return !SAFE_METHODS.has((req.method ?? 'GET').toUpperCase());
  }

  /** A new token for session `sid`. */
  tokenFor(sid: string): string {
    return signCsrfToken(this.options().csrfKey, sid);
  }

  /**
   * Checks the request's CSRF header against its CSRF cookie and session `sid`; returns the token.
   * @throws {CsrfTokenError} CSRF_TOKEN_MISSING without the header, CSRF_TOKEN_INVALID otherwise
   */
  check(req: HttpRequestLike, sid: unknown): string {
    const session = this.options();
    const header = headerValue(req, session.csrfHeader);
    if (!header) throw new CsrfTokenError('CSRF_TOKEN_MISSING', 'csrf_header_missing');
    const cookie = readCookie(req, session.csrfCookie);
    if (cookie === undefined) throw new CsrfTokenError('CSRF_TOKEN_INVALID', 'csrf_cookie_missing');
    if (!sameToken(header, cookie)) throw new CsrfTokenError('CSRF_TOKEN_INVALID', 'csrf_cookie_mismatch');
    if (typeof sid !== 'string') throw new CsrfTokenError('CSRF_TOKEN_INVALID', 'csrf_no_session');
    if (!verifyCsrfToken(session.csrfKey, sid, header)) {
      throw new CsrfTokenError('CSRF_TOKEN_INVALID', 'csrf_signature_mismatch');
    }
    return header;
  }

  /** Reports a refused token (never the token itself) and builds the 403 the client gets. */
  reject(req: unknown, error: CsrfTokenError): HttpException {
    this.events.emit({ type: SecurityEventType.CSRF_REJECTED, outcome: 'blocked', reason: error.reason, request: req });
    return error.code === 'CSRF_TOKEN_MISSING'
      ? securityException(
          403,
          SecurityErrorCode.CSRF_TOKEN_MISSING,
          Messages.CSRF_TOKEN_MISSING(this.options().csrfHeader),
        )
      : securityException(403, SecurityErrorCode.CSRF_TOKEN_INVALID, Messages.CSRF_TOKEN_INVALID());
  }

  private options(): ResolvedSessionCookieOptions {
    if (!this.session) throw new Error('CsrfProtection: auth.session is not configured');
    return this.session;
  }
}
