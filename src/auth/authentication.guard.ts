import { type CanActivate, type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequest, getResponse, headerValue, type HttpRequestLike } from '../core/context/get-request';
import { isPublicRoute } from '../core/context/is-public';
import type { Principal } from '../core/context/principal.interface';
import { getSecurityState, type SecurityRequestState } from '../core/context/request-state';
import { setResponseHeader } from '../core/context/response.util';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../core/context/route-plan.cache';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SecurityEventType } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import type { AuthMethod, ResolvedAuthOptions } from './auth.options';
import type { AuthFeatureOptions } from './auth.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { StorageUnavailableError } from '../storage/storage-unavailable.error';
import { parseApiKey } from './api-key/api-key.format';
import { ApiKeyService, ApiKeyVerificationError } from './api-key/api-key.service';
import { AUTH_METHODS_KEY, SCOPES_KEY } from './auth.constants';
import { JwtAuthenticator } from './jwt/jwt-authenticator.service';
import { JwtVerificationError } from './jwt/jwt-error';
import { readCookie } from './session/cookie.util';
import { CsrfProtection } from './session/csrf-protection.service';
import { CsrfTokenError } from './session/csrf-token.error';

/** One authentication method: where its credential comes from and how it is checked. @internal */
interface Authenticator {
  readonly method: AuthMethod;
  readonly configured: boolean;
  /** WWW-Authenticate challenge for a missing / an invalid credential. */
  readonly challenge: readonly [missing: string, invalid: string];
  readonly code: string;
  readonly message: string;
  extract(req: HttpRequestLike): string | undefined;
  /** Throws or rejects when the credential is refused; synchronous where nothing has to wait. */
  authenticate(value: string, req: HttpRequestLike): Principal | Promise<Principal>;
}

/** A credential this request already proved, and whom it proved. */
interface Verified {
  method: AuthMethod;
  value: string;
  principal: Principal;
}

/**
 * What one GraphQL request has established so far, for the guard's later calls on the same
 * request: Nest runs the guard once per field resolver (`fieldResolverEnhancers`), 41 times for a
 * list of 20 items with two `@ResolveField`s each. It belongs to that request only (kept by the
 * request's state) and to the credential headers it was built from: another value in any of them
 * starts over.
 */
interface RequestAuth {
  readonly authorization: unknown;
  readonly apiKey: unknown;
  readonly cookie: unknown;
  /** The credential this request proved, and whom it proved. */
  verified?: Verified;
  /**
   * The routes that admitted this request, and the principal they admitted (`null`: none, a
   * public route). Keyed by the route's plan, so by controller class and handler.
   */
  readonly admitted: Map<RouteAuth, Principal | null>;
}

/** What the guard needs to know about a route, computed once per (controller, handler). @internal */
interface RouteAuth {
  isPublic: boolean;
  authenticators: Authenticator[];
  scopes: string[];
  acceptsApiKey: boolean;
}

function bearerOrScheme(req: HttpRequestLike, scheme: string): string | undefined {
  const header = headerValue(req, 'authorization');
  if (!header || header.length <= scheme.length + 1 || header[scheme.length] !== ' ') return undefined;
  if (header.slice(0, scheme.length).toLowerCase() !== scheme) return undefined;
  const value = header.slice(scheme.length + 1).trim();
  return value || undefined;
}

/** The raw (undeduplicated) header list: Node keeps only the first `Authorization` in `headers`. */
function rawHeaders(req: HttpRequestLike): readonly string[] {
  const own = (req as { rawHeaders?: unknown }).rawHeaders;
  if (Array.isArray(own)) return own as string[];
  const raw = (req.raw as { rawHeaders?: unknown } | undefined)?.rawHeaders;
  return Array.isArray(raw) ? (raw as string[]) : [];
}

/** How many times a header was sent (`lowerName` in lower case). */
function headerCount(raw: readonly string[], lowerName: string): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) count++;
  }
  return count;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a browser says this state-changing request comes from another site. Browsers attach
 * cookies to cross-site requests (unless the app set `SameSite`), so a cookie is never accepted
 * as a credential there: that is cross-site request forgery. `Sec-Fetch-Site` is sent by every
 * current browser; `Origin: null` comes from sandboxed frames and opaque redirects. Same-site
 * requests (app.example.com → api.example.com) and non-browser clients are unaffected.
 */
function isCrossSiteWrite(req: HttpRequestLike): boolean {
  const method = (req.method ?? 'GET').toUpperCase();
  if (SAFE_METHODS.has(method)) return false;
  return headerValue(req, 'sec-fetch-site') === 'cross-site' || headerValue(req, 'origin') === 'null';
}

/**
 * The authentication stage of the pipeline. Runs for every route: a `@Public()` route gets a
 * principal when valid credentials are present and ignores absent or invalid ones; any other
 * route needs one of its accepted methods (`@Auth()`, or `auth.defaultMethods`) to succeed.
 * Sets `getSecurityState(req).authenticated`, `state.principal` and `req.user`, and checks
 * `@Scopes()`.
 *
 * Credentials are read from `Authorization: Bearer` (JWT; a cookie only when `auth.jwt.cookie` is
 * set, and never on a cross-site POST/PUT/PATCH/DELETE: CSRF; with `auth.session`, a
 * write (any method but GET, HEAD, OPTIONS, TRACE) authenticated by the cookie also needs the session's CSRF token in the CSRF
 * header), `Authorization: ApiKey` or the API-key header. Query strings are never read, and an API
 * key found in one is refused with 400 `API_KEY_IN_QUERY`.
 *
 * @throws {UnauthorizedException} AUTHENTICATION_REQUIRED / INVALID_TOKEN / INVALID_API_KEY
 * @throws {ForbiddenException} INSUFFICIENT_SCOPE; CSRF_TOKEN_MISSING / CSRF_TOKEN_INVALID for a
 *   cookie-authenticated write without the session's CSRF token
 * @throws {BadRequestException} API_KEY_IN_QUERY, or AMBIGUOUS_CREDENTIALS for two credentials in one
 *   request (repeated `Authorization` or API-key headers, a bearer token and an API key)
 * @throws {ServiceUnavailableException} STORAGE_UNAVAILABLE when revocation or keys cannot be checked
 * @publicApi
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly auth: ResolvedAuthOptions;
  /** `events.authSuccessSampleRate` (0 when events are off): 0 costs one comparison per request. */
  private readonly successSampleRate: number;
  private readonly byMethod: Record<AuthMethod, Authenticator>;
  private readonly routes: RoutePlanSlot<RouteAuth>;
  private readonly queryNames: Set<string>;
  /**
   * GraphQL runs this guard once per field resolver of one request (`fieldResolverEnhancers`).
   * For the rest of that request only (keyed by the request's state), and as long as its
   * credential headers stay the same:
   * - the principal a credential proved is reused for the very same method and credential string
   *   (revocation was checked when the request first verified it);
   * - a route (class + handler) that admitted the request admits it again without a second look,
   *   while the request's principal is still the one it admitted. Every other route runs the
   *   whole check (its own `@Public`, `@Auth` methods and `@Scopes`).
   * Nothing is shared between requests.
   */
  private readonly inRequest = new WeakMap<SecurityRequestState, RequestAuth>();
  private readonly keyHeader: string | undefined;
  private readonly cookieConfigured: boolean;

  constructor(
    private readonly reflector: Reflector,
    @Inject(SECURITY_OPTIONS) options: AuthFeatureOptions,
    private readonly events: SecurityEvents,
    jwt: JwtAuthenticator,
    apiKeys: ApiKeyService,
    routePlans: RoutePlanCache,
    private readonly csrf: CsrfProtection,
  ) {
    this.auth = options.auth;
    this.successSampleRate = options.events.enabled ? options.events.authSuccessSampleRate : 0;
    this.routes = routePlans.slot((cls, handler) => this.computeRoute(cls, handler));
    this.queryNames = new Set(this.auth.apiKeys.queryParamNames.map((n) => n.toLowerCase()));
    const cookie = this.auth.jwt.cookie;
    const keyHeader = this.auth.apiKeys.header;
    this.keyHeader = apiKeys.enabled ? keyHeader : undefined;
    this.cookieConfigured = Boolean(cookie);
    this.byMethod = {
      jwt: {
        method: 'jwt',
        configured: jwt.configured,
        challenge: ['Bearer', 'Bearer error="invalid_token"'],
        code: SecurityErrorCode.INVALID_TOKEN,
        message: Messages.INVALID_TOKEN(),
        extract: (req) => bearerOrScheme(req, 'bearer') ?? (cookie ? this.cookieToken(req, cookie) : undefined),
        authenticate: (token, req) => this.withCsrfCheck(req, jwt.principalFor(token)),
      },
      'api-key': {
        method: 'api-key',
        configured: apiKeys.enabled,
        challenge: ['ApiKey', 'ApiKey error="invalid_key"'],
        code: SecurityErrorCode.INVALID_API_KEY,
        message: Messages.INVALID_API_KEY(),
        extract: (req) => headerValue(req, keyHeader) ?? bearerOrScheme(req, 'apikey'),
        authenticate: (key) => apiKeys.principalFor(key),
      },
    };
    if (this.auth.enabled && !jwt.configured && !apiKeys.enabled) {
      new Logger('AuthenticationGuard').warn(
        'No JWT key and no API-key pepper is configured: every route that is not @Public() answers 401. Set auth.jwt (secret, keys, jwks or jwksUri) or auth.apiKeys.pepper.',
      );
    }
  }

  /**
   * Synchronous where it can be (disabled, public without credentials, refusals, and a cached
   * token whose revocations live in the memory store); one promise chain when a credential has to
   * be verified or looked up.
   */
  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    const req = getRequest(ctx);
    const state = getSecurityState(req);
    if (!this.auth.enabled) return (state.authenticated = true);
    const route = this.routes.of(ctx);
    const memo = ctx.getType<string>() === 'graphql' ? this.requestAuth(state, req) : undefined;
    if (memo !== undefined && this.admittedBefore(memo, route, state, req)) return true;
    this.refuseAmbiguousCredentials(req);
    if (route.acceptsApiKey) this.refuseKeyInQuery(req);
    for (const authenticator of route.authenticators) {
      const value = authenticator.extract(req);
      if (value === undefined) continue;
      // The first credential the route accepts decides: no fallback to another method.
      if (!authenticator.configured)
        return this.refuse(ctx, req, route, authenticator, `${authenticator.method}_not_configured`, memo);
      const earlier = memo?.verified;
      if (earlier?.method === authenticator.method && earlier.value === value) {
        return this.accept(ctx, req, route, earlier.principal, memo);
      }
      let principal: Principal | Promise<Principal>;
      try {
        principal = authenticator.authenticate(value, req);
      } catch (error) {
        return this.refuse(ctx, req, route, authenticator, error, memo);
      }
      if (!(principal instanceof Promise))
        return this.acceptNew(ctx, req, route, authenticator, value, principal, memo);
      return principal.then(
        (p) => this.acceptNew(ctx, req, route, authenticator, value, p, memo),
        (error: unknown) => this.refuse(ctx, req, route, authenticator, error, memo),
      );
    }
    if (route.isPublic) return this.admitted(state, route, memo);
    this.emitFailure(req, 'missing_credentials');
    this.throwUnauthorized(ctx, route.authenticators.map((a) => a.challenge[0]).join(', '), {
      code: SecurityErrorCode.AUTHENTICATION_REQUIRED,
      message: Messages.AUTHENTICATION_REQUIRED(),
    });
  }

  /** The request's GraphQL memo, started over when it has none or its credential headers changed. */
  private requestAuth(state: SecurityRequestState, req: HttpRequestLike): RequestAuth {
    const headers = req.headers;
    const authorization = headers.authorization;
    const apiKey = this.keyHeader === undefined ? undefined : headers[this.keyHeader];
    const cookie = this.cookieConfigured ? headers.cookie : undefined;
    let memo = this.inRequest.get(state);
    if (
      memo === undefined ||
      memo.authorization !== authorization ||
      memo.apiKey !== apiKey ||
      memo.cookie !== cookie
    ) {
      memo = { authorization, apiKey, cookie, admitted: new Map() };
      this.inRequest.set(state, memo);
    }
    return memo;
  }

  /**
   * Whether this route already admitted this request, as the principal the request still has.
   * Everything the route's check reads (its plan, the credential headers, the principal they
   * proved) is the same, so the answer is too: it is only not computed again.
   */
  private admittedBefore(
    memo: RequestAuth,
    route: RouteAuth,
    state: SecurityRequestState,
    req: HttpRequestLike,
  ): boolean {
    const as = memo.admitted.get(route);
    if (as === undefined || as !== (state.principal ?? null) || !state.authenticated) return false;
    if (as !== null) req.user = as;
    return true;
  }

  /** Marks the request authenticated (with or without a principal) and remembers the route for GraphQL. */
  private admitted(state: SecurityRequestState, route: RouteAuth, memo: RequestAuth | undefined): true {
    state.authenticated = true;
    memo?.admitted.set(route, state.principal ?? null);
    return true;
  }

  /** {@link accept} for a credential verified just now; GraphQL keeps it for the request's other fields. */
  private acceptNew(
    ctx: ExecutionContext,
    req: HttpRequestLike,
    route: RouteAuth,
    authenticator: Authenticator,
    value: string,
    principal: Principal,
    memo: RequestAuth | undefined,
  ): boolean {
    if (memo !== undefined) memo.verified = { method: authenticator.method, value, principal };
    return this.accept(ctx, req, route, principal, memo);
  }

  private accept(
    ctx: ExecutionContext,
    req: HttpRequestLike,
    route: RouteAuth,
    principal: Principal,
    memo: RequestAuth | undefined,
  ): boolean {
    const state = getSecurityState(req);
    state.authenticated = true;
    state.principal = principal;
    req.user = principal;
    if (route.scopes.length > 0) this.checkScopes(ctx, req, route, principal);
    if (this.successSampleRate !== 0 && Math.random() < this.successSampleRate) {
      this.events.emit({
        type: SecurityEventType.AUTH_SUCCEEDED,
        outcome: 'success',
        request: req,
        details: { method: principal.type, sampleRate: this.successSampleRate },
      });
    }
    memo?.admitted.set(route, principal);
    return true;
  }

  /** A public route ignores a bad credential; any other route answers 401 (or 503 for an outage). */
  private refuse(
    ctx: ExecutionContext,
    req: HttpRequestLike,
    route: RouteAuth,
    used: Authenticator,
    error: unknown,
    memo: RequestAuth | undefined,
  ): boolean {
    if (!route.isPublic) this.fail(ctx, req, route, used, error);
    return this.admitted(getSecurityState(req), route, memo);
  }

  private fail(
    ctx: ExecutionContext,
    req: HttpRequestLike,
    route: RouteAuth,
    used: Authenticator,
    error: unknown,
  ): never {
    if (error instanceof CsrfTokenError) throw this.csrf.reject(req, error);
    if (error instanceof StorageUnavailableError) {
      this.events.emit({
        type: SecurityEventType.STORAGE_UNAVAILABLE,
        outcome: 'failure',
        reason: 'authentication',
        request: req,
      });
      throw securityException(503, SecurityErrorCode.STORAGE_UNAVAILABLE, Messages.STORAGE_UNAVAILABLE());
    }
    // A string is a reason already; anything unexpected still fails closed as a 401.
    const reason =
      typeof error === 'string'
        ? error
        : error instanceof JwtVerificationError || error instanceof ApiKeyVerificationError
          ? error.reason
          : 'verification_error';
    this.emitFailure(req, reason, used.method);
    const challenge = route.authenticators.map((a) => (a === used ? a.challenge[1] : a.challenge[0])).join(', ');
    this.throwUnauthorized(ctx, challenge, { code: used.code, message: used.message });
  }

  /** Sets `WWW-Authenticate` (RFC 6750) and throws the 401. Override to change the response. */
  protected throwUnauthorized(
    ctx: ExecutionContext,
    challenge: string,
    body: { code: string; message: string },
  ): never {
    setResponseHeader(getResponse(ctx), 'WWW-Authenticate', challenge);
    throw securityException(401, body.code, body.message);
  }

  private checkScopes(ctx: ExecutionContext, req: HttpRequestLike, route: RouteAuth, principal: Principal): void {
    const missing = route.scopes.filter((s) => !principal.scopes.includes(s));
    if (missing.length === 0) return;
    this.events.emit({
      type: SecurityEventType.PERMISSION_DENIED,
      outcome: 'blocked',
      reason: 'insufficient_scope',
      request: req,
      details: { required: route.scopes, missing },
    });
    if (principal.type !== 'api-key') {
      setResponseHeader(
        getResponse(ctx),
        'WWW-Authenticate',
        `Bearer error="insufficient_scope", scope="${route.scopes.join(' ')}"`,
      );
    }
    throw securityException(403, SecurityErrorCode.INSUFFICIENT_SCOPE, 'Insufficient scope');
  }

  /**
   * With cookie sessions (`auth.session`), a write authenticated by the access cookie must carry
   * the session's CSRF token; one sent with a bearer token needs none (a browser never adds an
   * Authorization header on its own). Costs nothing on reads and without `auth.session`.
   */
  private withCsrfCheck(
    req: HttpRequestLike,
    principal: Principal | Promise<Principal>,
  ): Principal | Promise<Principal> {
    if (!this.csrf.session || !this.csrf.isUnsafe(req) || bearerOrScheme(req, 'bearer') !== undefined) return principal;
    const check = (p: Principal): Principal => (this.csrf.check(req, p.claims.sid), p);
    return principal instanceof Promise ? principal.then(check) : check(principal);
  }

  /** The token cookie, unless the request is a cross-site write (then it is no credential at all). */
  private cookieToken(req: HttpRequestLike, name: string): string | undefined {
    const token = readCookie(req, name);
    if (token === undefined || !isCrossSiteWrite(req)) return token;
    this.emitFailure(req, 'cookie_cross_site', 'jwt');
    return undefined;
  }

  /**
   * Two credentials in one request are refused, whatever the route accepts: repeated
   * `Authorization` (Node keeps the first, a proxy in front may keep the last, so the two would
   * authenticate different principals) or API-key headers, or a bearer token together with an API
   * key (the guard would pick one, a gateway or a log reader another). The token cookie is not
   * counted: browsers send it on their own.
   */
  private refuseAmbiguousCredentials(req: HttpRequestLike): void {
    const raw = rawHeaders(req);
    const keys = this.auth.apiKeys.enabled;
    const ambiguous =
      headerCount(raw, 'authorization') > 1 ||
      (keys && headerCount(raw, this.auth.apiKeys.header) > 1) ||
      (keys &&
        headerValue(req, this.auth.apiKeys.header) !== undefined &&
        headerValue(req, 'authorization') !== undefined);
    if (!ambiguous) return;
    this.emitFailure(req, 'ambiguous_credentials');
    throw securityException(400, SecurityErrorCode.AMBIGUOUS_CREDENTIALS, Messages.AMBIGUOUS_CREDENTIALS());
  }

  /** Keys in URLs end up in access logs, proxies and browser history: refuse them loudly. */
  private refuseKeyInQuery(req: HttpRequestLike): void {
    const url = req.originalUrl ?? req.url ?? '';
    const q = url.indexOf('?');
    if (q === -1) return;
    for (const [name, value] of new URLSearchParams(url.slice(q + 1))) {
      if (this.queryNames.has(name.toLowerCase()) || parseApiKey(value, this.auth.apiKeys.prefixes)) {
        this.emitFailure(req, 'api_key_in_query', 'api-key');
        throw securityException(
          400,
          SecurityErrorCode.API_KEY_IN_QUERY,
          'API keys must not be sent in the URL (URLs end up in logs and browser history). Send the key in the X-API-Key header, and rotate this key: it may have leaked.',
        );
      }
    }
  }

  private emitFailure(req: HttpRequestLike, reason: string, method?: AuthMethod): void {
    this.events.emit({
      type: SecurityEventType.AUTH_FAILED,
      outcome: 'failure',
      reason,
      request: req,
      ...(method ? { details: { method } } : {}),
    });
  }

  /** Route metadata, read once per (controller, handler) and cached. */
  private computeRoute(cls: RouteClass, handler: RouteHandler): RouteAuth {
    const targets = [handler, cls];
    const methods =
      this.reflector.getAllAndOverride<AuthMethod[] | undefined>(AUTH_METHODS_KEY, targets) ?? this.auth.defaultMethods;
    const scopes = this.reflector.getAllAndMerge<string[]>(SCOPES_KEY, targets) ?? [];
    const authenticators = [...new Set(methods)].map((m) => this.byMethod[m]).filter((a) => a !== undefined);
    return {
      isPublic: isPublicRoute(this.reflector, cls, handler),
      authenticators,
      scopes: [...new Set(scopes)],
      acceptsApiKey: this.auth.apiKeys.enabled && authenticators.some((a) => a.method === 'api-key'),
    };
  }
}
