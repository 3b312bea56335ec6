import type { Provider, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { SecurityExceptionFilter } from './core/errors/security-exception.filter';
import { SecurityEvents } from './core/events/security-events.service';
import { EDGE_HANDLERS } from './core/internal.constants';
import type { ResolvedSecurityOptions } from './core/options/security-options.interface';
import { resolveSecurityOptions } from './core/options/resolve-options';
import type { EdgeHandler } from './core/pipeline/edge-handler.interface';
import { NOOP_GUARD, NOOP_INTERCEPTOR, NOOP_PIPE } from './core/pipeline/noop';
import { RequestContextEdge } from './core/pipeline/request-context.edge';
import { SECURITY_OPTIONS } from './core/security.constants';
import { SecurityStorage } from './storage/security-storage.interface';
import { createSecurityStorage, SecurityStorageLifecycle } from './storage/storage.factory';
import { MODULE_OPTIONS_TOKEN } from './security.module-definition';
// [providers:imports]
import { WebhookReplayInterceptor } from './signing/webhook-replay.interceptor';
import { DeprecationInterceptor } from './deprecation/deprecation.interceptor';
import { RequestSignatureGuard } from './signing/request-signature.guard';
import { ApiKeyService } from './auth/api-key/api-key.service';
import { AuthenticationGuard } from './auth/authentication.guard';
import { JwtAuthenticator } from './auth/jwt/jwt-authenticator.service';
import { TokenRevocationService } from './auth/tokens/token-revocation.service';
import { TokenService } from './auth/tokens/token.service';
import { CorsEdge } from './cors/cors.edge';
import { HttpsEnforcementEdge } from './headers/https-enforcement.edge';
import { SecurityHeadersEdge } from './headers/security-headers.edge';
import { SecurityHeadersInterceptor } from './headers/security-headers.interceptor';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { PayloadLimitEdge } from './validation/payload-limit.edge';
import { SecurityValidationPipe } from './validation/security-validation.pipe';
import { LoginRateLimitInterceptor } from './throttling/login-rate-limit.interceptor';
import { PrincipalRateLimitGuard } from './throttling/principal-rate-limit.guard';
import { RateLimitGuard } from './throttling/rate-limit.guard';
import { RateLimiterService } from './throttling/rate-limiter.service';
import { AuthorizationRegistry } from './authz/authorization.registry';
import { AuthorizationService } from './authz/authorization.service';
import { OwnershipGuard } from './authz/ownership.guard';
import { RolesGuard } from './authz/roles.guard';
import { ResponseFilterInterceptor } from './filtering/response-filter.interceptor';

type EnhancerToken = typeof APP_GUARD | typeof APP_INTERCEPTOR | typeof APP_PIPE;

/**
 * Registers `type` as a provider and as a global enhancer that is the real instance when
 * `enabled(options)` holds and a no-op otherwise. The provider always exists, so sync and async
 * configuration behave the same and nothing depends on a provider being absent.
 */
function enhancer(token: EnhancerToken, type: Type, enabled: (o: ResolvedSecurityOptions) => boolean): Provider[] {
  const noop = token === APP_GUARD ? NOOP_GUARD : token === APP_PIPE ? NOOP_PIPE : NOOP_INTERCEPTOR;
  return [
    type,
    {
      provide: token,
      useFactory: (options: ResolvedSecurityOptions, instance: unknown) => (enabled(options) ? instance : noop),
      inject: [SECURITY_OPTIONS, type],
    },
  ];
}

/** An edge step: built from options when enabled, a no-op otherwise. */
type EdgeFactory = (options: ResolvedSecurityOptions, events: SecurityEvents) => EdgeHandler | undefined;

/**
 * THE ORDER OF THE SECURITY PIPELINE. This file is the only place that registers global
 * enhancers; features never do. Nest runs global guards, interceptors and pipes in the order they
 * are registered here, and middleware before all of them:
 *
 * 1. Edge middleware (every request, matched or not): request id + client IP, HTTPS enforcement,
 *    security headers, CORS (preflights answered here).
 * 2. Guards: rate limit (IP/route) → request signature / webhook → authentication (JWT, API key)
 *    → rate limit (principal tiers) → authorization (roles, permissions, scopes) → ownership and
 *    policies. Authorization and ownership refuse to run when authentication has not run before
 *    them (fail closed), so a re-ordering can never open a route.
 * 3. Interceptors (outermost first): deprecation headers → idempotency → response filtering.
 * 4. Pipe: validation (whitelist + forbidNonWhitelisted).
 * 5. Filter: one error shape for everything.
 *
 * @internal
 */
export function createSecurityProviders(): Provider[] {
  const edgeSteps: EdgeFactory[] = [
    (o) => new RequestContextEdge(o),
    // [providers:edge] https, headers, cors, then payload limits — in this order
    (o, events) =>
      o.headers.https.mode !== 'off' ? new HttpsEnforcementEdge(o.headers.https, o.trustProxy, events) : undefined,
    (o) => (o.headers.enabled ? new SecurityHeadersEdge(o.headers) : undefined),
    (o, events) => (o.cors.enabled ? new CorsEdge(o.cors, events) : undefined),
    // payload limits (validation): keep this entry LAST of the edge steps
    (o, events) => (o.validation.enabled ? new PayloadLimitEdge(o, events) : undefined),
  ];
  return [
    { provide: SECURITY_OPTIONS, useFactory: resolveSecurityOptions, inject: [MODULE_OPTIONS_TOKEN] },
    { provide: SecurityStorage, useFactory: createSecurityStorage, inject: [SECURITY_OPTIONS] },
    SecurityStorageLifecycle,
    SecurityEvents,
    {
      provide: EDGE_HANDLERS,
      useFactory: (o: ResolvedSecurityOptions, events: SecurityEvents) =>
        edgeSteps.map((step) => step(o, events)).filter((h): h is EdgeHandler => h !== undefined),
      inject: [SECURITY_OPTIONS, SecurityEvents],
    },
    // ---- guards, in order ----
    // [providers:guard-rate-limit]
    RateLimiterService,
    ...enhancer(APP_GUARD, RateLimitGuard, (o) => o.rateLimit.enabled),
    // [providers:guard-signature]
    ...enhancer(APP_GUARD, RequestSignatureGuard, (o) => o.signing.enabled),
    // [providers:guard-authentication]
    // Always the real guard: with auth.enabled false it only marks the request as authenticated,
    // so the authorization stages behind it still see that authentication ran.
    TokenRevocationService,
    JwtAuthenticator,
    ApiKeyService,
    TokenService,
    ...enhancer(APP_GUARD, AuthenticationGuard, () => true),
    // [providers:guard-principal-rate-limit]
    ...enhancer(
      APP_GUARD,
      PrincipalRateLimitGuard,
      (o) => o.rateLimit.enabled && Object.keys(o.rateLimit.tiers).length > 0,
    ),
    // Outermost interceptor: a locked-out login is refused before idempotency or the handler run.
    ...enhancer(APP_INTERCEPTOR, LoginRateLimitInterceptor, (o) => o.rateLimit.enabled),
    // [providers:guard-roles]
    AuthorizationRegistry,
    AuthorizationService,
    ...enhancer(APP_GUARD, RolesGuard, (o) => o.authorization.enabled),
    // [providers:guard-ownership]
    ...enhancer(APP_GUARD, OwnershipGuard, (o) => o.authorization.enabled),
    // ---- interceptors, outermost first ----
    // [providers:interceptor-deprecation]
    ...enhancer(APP_INTERCEPTOR, SecurityHeadersInterceptor, (o) => o.headers.enabled),
    // Metadata-driven: a no-op map read on routes without @Deprecated().
    ...enhancer(APP_INTERCEPTOR, DeprecationInterceptor, () => true),
    ...enhancer(APP_INTERCEPTOR, WebhookReplayInterceptor, (o) => o.signing.enabled),
    // [providers:interceptor-idempotency]
    ...enhancer(APP_INTERCEPTOR, IdempotencyInterceptor, (o) => o.idempotency.enabled),
    // [providers:interceptor-response-filter]
    ...enhancer(APP_INTERCEPTOR, ResponseFilterInterceptor, (o) => o.responseFiltering.enabled),
    // ---- pipes ----
    // [providers:pipe-validation]
    ...enhancer(APP_PIPE, SecurityValidationPipe, (o) => o.validation.enabled),
    { provide: APP_FILTER, useClass: SecurityExceptionFilter },
  ];
}

/** Exposed for the pipeline-order test. @internal */
export const __enhancer = enhancer;
