import type { Provider, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, ModulesContainer } from '@nestjs/core';
import { SecurityExceptionFilter } from './core/errors/security-exception.filter';
import { RoutePlanCache } from './core/context/route-plan.cache';
import { SecurityEvents } from './core/events/security-events.service';
import { EDGE_HANDLERS } from './core/internal.constants';
import type { ResolvedSecurityOptions } from './core/options/security-options.interface';
import { resolveSecurityOptions } from './core/options/resolve-options';
import type { EdgeHandler } from './core/pipeline/edge-handler.interface';
import { RequestContextEdge } from './core/pipeline/request-context.edge';
import { routeMetadataLookup } from './core/pipeline/route-metadata.util';
import { SECURITY_OPTIONS } from './core/security.constants';
import { SecurityStorage } from './storage/security-storage.interface';
import { createSecurityStorage, SecurityStorageLifecycle } from './storage/storage.factory';
import { MODULE_OPTIONS_TOKEN } from './security.module-definition';
// [providers:imports]
import { WebhookReplayInterceptor } from './signing/webhook-replay.interceptor';
import { DeprecationGuard } from './deprecation/deprecation.guard';
import { DEPRECATED_KEY } from './deprecation/deprecation.constants';
import { SECURITY_HEADERS_KEY } from './headers/headers.constants';
import { IDEMPOTENT_KEY } from './idempotency/idempotency.constants';
import { WEBHOOK_KEY } from './signing/signing.constants';
import { RequestSignatureGuard } from './signing/request-signature.guard';
import { ApiKeyService } from './auth/api-key/api-key.service';
import { AuthenticationGuard } from './auth/authentication.guard';
import { JwtAuthenticator } from './auth/jwt/jwt-authenticator.service';
import { TokenRevocationService } from './auth/tokens/token-revocation.service';
import { TokenService } from './auth/tokens/token.service';
import { CorsEdge } from './cors/cors.edge';
import { HttpsEnforcementEdge } from './headers/https-enforcement.edge';
import { SecurityHeadersEdge } from './headers/security-headers.edge';
import { SecurityHeadersGuard } from './headers/security-headers.guard';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { PayloadLimitEdge } from './validation/payload-limit.edge';
import { SecurityValidationPipe } from './validation/security-validation.pipe';
import { LoginRateLimitInterceptor } from './throttling/login-rate-limit.interceptor';
import { LOGIN_RATE_LIMIT_KEY } from './throttling/rate-limit.constants';
import { PrincipalRateLimitGuard } from './throttling/principal-rate-limit.guard';
import { RateLimitGuard } from './throttling/rate-limit.guard';
import { RateLimiterService } from './throttling/rate-limiter.service';
import { AuthorizationRegistry } from './authz/authorization.registry';
import { AuthorizationService } from './authz/authorization.service';
import { OwnershipGuard } from './authz/ownership.guard';
import { RolesGuard } from './authz/roles.guard';
import { ResponseFilterInterceptor } from './filtering/response-filter.interceptor';
import { SecurityInventory } from './inventory/security-inventory.service';

type EnhancerToken = typeof APP_GUARD | typeof APP_INTERCEPTOR | typeof APP_PIPE;

/** Whether an enhancer applies: from the options and, where it matters, the routes' metadata. */
type EnhancerCondition = (options: ResolvedSecurityOptions, routesUse: (metadataKey: string) => boolean) => boolean;

/**
 * Registers `type` as a provider and, when `enabled` holds, as a global enhancer. When it does not,
 * the enhancer factory returns `null`, which Nest skips: the provider still exists (sync and async
 * configuration behave the same and nothing depends on a provider being absent), but a disabled
 * feature costs nothing per request. A no-op instance would not be free: one global interceptor,
 * however empty, makes Nest wrap every handler in an RxJS chain (~9 µs of server CPU per request
 * on Fastify, `npm run bench -- --profile jwt-get`). For the same reason interceptors that only act
 * on decorated routes are attached only when some route of the app carries their decorator.
 */
function enhancer(token: EnhancerToken, type: Type, enabled: EnhancerCondition): Provider[] {
  return [
    type,
    {
      provide: token,
      useFactory: (options: ResolvedSecurityOptions, instance: unknown, modules: ModulesContainer) =>
        enabled(options, routeMetadataLookup(modules)) ? instance : null,
      inject: [SECURITY_OPTIONS, type, ModulesContainer],
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
 *    Then two guards that never refuse: per-route header overrides and deprecation headers (410
 *    after the sunset).
 * 3. Interceptors (outermost first): login limiter → webhook replay → idempotency → response
 *    filtering. Interceptors that act only on decorated routes are attached only when a route
 *    carries their decorator.
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
    // What every guard, interceptor and pipe computes once per route, keyed by controller class AND handler.
    RoutePlanCache,
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
    ...enhancer(
      APP_INTERCEPTOR,
      LoginRateLimitInterceptor,
      (o, routesUse) => o.rateLimit.enabled && routesUse(LOGIN_RATE_LIMIT_KEY),
    ),
    // [providers:guard-roles]
    AuthorizationRegistry,
    AuthorizationService,
    ...enhancer(APP_GUARD, RolesGuard, (o) => o.authorization.enabled),
    // [providers:guard-ownership]
    ...enhancer(APP_GUARD, OwnershipGuard, (o) => o.authorization.enabled),
    // [providers:guard-route-headers] never refuse (except a retired route's 410); guards rather
    // than interceptors because all they do happens before the handler.
    ...enhancer(
      APP_GUARD,
      SecurityHeadersGuard,
      (o, routesUse) => o.headers.enabled && routesUse(SECURITY_HEADERS_KEY),
    ),
    ...enhancer(APP_GUARD, DeprecationGuard, (_o, routesUse) => routesUse(DEPRECATED_KEY)),
    // ---- interceptors, outermost first ----
    ...enhancer(
      APP_INTERCEPTOR,
      WebhookReplayInterceptor,
      (o, routesUse) => o.signing.enabled && routesUse(WEBHOOK_KEY),
    ),
    // [providers:interceptor-idempotency]
    ...enhancer(
      APP_INTERCEPTOR,
      IdempotencyInterceptor,
      (o, routesUse) => o.idempotency.enabled && (o.idempotency.applyTo !== 'decorated' || routesUse(IDEMPOTENT_KEY)),
    ),
    // [providers:interceptor-response-filter]
    ...enhancer(APP_INTERCEPTOR, ResponseFilterInterceptor, (o) => o.responseFiltering.enabled),
    // ---- pipes ----
    // [providers:pipe-validation]
    ...enhancer(APP_PIPE, SecurityValidationPipe, (o) => o.validation.enabled),
    { provide: APP_FILTER, useClass: SecurityExceptionFilter },
    // Route inventory: reads every feature's metadata at boot; not part of the request pipeline.
    SecurityInventory,
  ];
}
