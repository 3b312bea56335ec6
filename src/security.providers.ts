import type { Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, ModuleRef, ModulesContainer } from '@nestjs/core';
import { SecurityExceptionFilter } from './core/errors/security-exception.filter';
import { RoutePlanCache } from './core/context/route-plan.cache';
import { SecurityEvents } from './core/events/security-events.service';
import { SecurityMetrics } from './core/metrics/security-metrics.service';
import type {
  EdgeServices,
  EdgeStage,
  EnhancerKind,
  EnhancerStage,
  SecurityFeature,
} from './core/feature/security-feature.interface';
import { EDGE_HANDLERS } from './core/internal.constants';
import type { EdgeHandler } from './core/pipeline/edge-handler.interface';
import { RequestContextEdge } from './core/pipeline/request-context.edge';
import { RequestTargetEdge } from './core/pipeline/request-target.edge';
import { routeMetadataLookup } from './core/pipeline/route-metadata.util';
import { SECURITY_OPTIONS } from './core/security.constants';
import { authFeature } from './auth/auth.feature';
import { authorizationFeature } from './authz/authorization.feature';
import { corsFeature } from './cors/cors.feature';
import { AUDIT_KEY } from './audit/audit.constants';
import { AuditInterceptor } from './audit/audit.interceptor';
import { LoginAnomalyDetector } from './audit/login-anomaly.detector';
import { DEPRECATED_KEY } from './deprecation/deprecation.constants';
import { DeprecationGuard } from './deprecation/deprecation.guard';
import { SecurityInventory } from './inventory/security-inventory.service';
import { responseFilteringFeature } from './filtering/response-filtering.feature';
import { graphqlFeature } from './graphql/graphql.feature';
import { headersFeature } from './headers/headers.feature';
import { idempotencyFeature } from './idempotency/idempotency.feature';
import { signingFeature } from './signing/signing.feature';
import { rateLimitFeature } from './throttling/rate-limit.feature';
import { validationFeature } from './validation/validation.feature';
import { MODULE_OPTIONS_TOKEN } from './security.module-definition';
import { resolveSecurityOptions, SECURITY_FEATURES, type ResolvedSecurityOptions } from './security.options';
import { SecuritySettings } from './security.settings';

const ENHANCER_TOKENS: Record<EnhancerKind, string> = {
  guard: APP_GUARD,
  interceptor: APP_INTERCEPTOR,
  pipe: APP_PIPE,
};

/**
 * Registers a stage's enhancer as a provider and, when its `when` holds, as a global enhancer.
 * When it does not, the enhancer factory returns `null`, which Nest skips: the provider still
 * exists (sync and async configuration behave the same and nothing depends on a provider being
 * absent), but a disabled feature costs nothing per request. A no-op instance would not be free:
 * one global interceptor, however empty, makes Nest wrap every handler in an RxJS chain (~9 µs of
 * server CPU per request on Fastify, `npm run bench -- --profile jwt-get`). For the same reason
 * interceptors that only act on decorated routes are attached only when some route of the app
 * carries their decorator.
 */
function enhancer<R>(pick: (options: ResolvedSecurityOptions) => R, stage: EnhancerStage<R>): Provider[] {
  return [
    stage.type,
    {
      provide: ENHANCER_TOKENS[stage.kind],
      useFactory: (options: ResolvedSecurityOptions, instance: unknown, modules: ModulesContainer) =>
        stage.when(pick(options), routeMetadataLookup(modules)) ? instance : null,
      inject: [SECURITY_OPTIONS, stage.type, ModulesContainer],
    },
  ];
}

/** The enhancer `name` of `feature`, given the feature's own option section. */
function stage<K extends keyof ResolvedSecurityOptions & string, E extends string>(
  feature: SecurityFeature<K, ResolvedSecurityOptions[K], E, string>,
  name: E,
): Provider[] {
  const spec = feature.enhancers?.[name];
  if (!spec) throw new Error(`SecurityModule: the ${feature.key} feature has no enhancer "${name}"`);
  return enhancer((o) => o[feature.key], spec);
}

/** An edge step: built from options when enabled, a no-op otherwise. */
type EdgeFactory = (
  options: ResolvedSecurityOptions,
  events: SecurityEvents,
  get: EdgeServices,
) => EdgeHandler | undefined;

/** The edge step `name` of `feature`, given the feature's own option section. */
function edge<K extends keyof ResolvedSecurityOptions & string, G extends string>(
  feature: SecurityFeature<K, ResolvedSecurityOptions[K], string, G>,
  name: G,
): EdgeFactory {
  const step = feature.edges?.[name] as EdgeStage<ResolvedSecurityOptions[K]> | undefined;
  if (!step) throw new Error(`SecurityModule: the ${feature.key} feature has no edge step "${name}"`);
  return (o, events, get) => step(o[feature.key], o, events, get);
}

/**
 * THE ORDER OF THE SECURITY PIPELINE. This file is the only place that registers global
 * enhancers; features never do (they describe theirs in `<feature>.feature.ts`). Nest runs global
 * guards, interceptors and pipes in the order they are registered here, and middleware before all
 * of them:
 *
 * 1. Edge (every request, matched or not, before the body parsers): request id + client IP, HTTPS
 *    enforcement, security headers, the edge IP limit, CORS (preflights answered here), payload
 *    limits, malformed URL.
 * 2. Guards: rate limit (IP/route) → request signature / webhook → authentication (JWT, API key)
 *    → rate limit (principal tiers) → authorization (roles, permissions, scopes) → ownership and
 *    policies → step-up MFA (`@RequireMfa()`). Authorization and ownership refuse to run when authentication has not run before
 *    them (fail closed), so a re-ordering can never open a route.
 *    Then guards that never refuse: per-route header overrides, deprecation headers (410 after
 *    the sunset) and the route's response filter (recorded here, applied to the handler's result
 *    where it is serialized: Fastify's `reply.send()`, Express's `res.json()`).
 * 3. Interceptors (outermost first): login limiter → webhook replay → idempotency (stores the
 *    filtered body) → audit → response filtering (only with `@Sse()` / `@Render()` routes).
 *    Interceptors that act only on decorated routes are attached only when a route carries
 *    their decorator.
 * 4. Pipe: validation (whitelist + forbidNonWhitelisted).
 * 5. Filter: one error shape for everything.
 *
 * @internal
 */
export function createSecurityProviders(): Provider[] {
  const edgeSteps: EdgeFactory[] = [
    (o) => new RequestContextEdge(o),
    edge(headersFeature, 'https'),
    edge(headersFeature, 'headers'),
    // after the headers (its 429 carries them), before CORS (preflights count)
    edge(rateLimitFeature, 'ipLimit'),
    edge(corsFeature, 'cors'),
    // payload limits: last of the feature steps
    edge(validationFeature, 'payloadLimit'),
    // always last: a path that does not percent-decode (both adapters answer the same 400)
    (o, events) => new RequestTargetEdge(o.errors.format === 'problem+json', events),
  ];
  return [
    { provide: SECURITY_OPTIONS, useFactory: resolveSecurityOptions, inject: [MODULE_OPTIONS_TOKEN] },
    SecurityMetrics,
    SecurityEvents,
    // Password spraying / credential stuffing signals, fed by SecurityEvents with every failed login.
    LoginAnomalyDetector,
    // What every guard, interceptor and pipe computes once per route, keyed by controller class AND handler.
    RoutePlanCache,
    SecuritySettings,
    ...SECURITY_FEATURES.flatMap((feature) => feature.providers ?? []),
    {
      provide: EDGE_HANDLERS,
      useFactory: (o: ResolvedSecurityOptions, events: SecurityEvents, moduleRef: ModuleRef) => {
        const get: EdgeServices = (type) => moduleRef.get(type, { strict: false });
        return edgeSteps.map((step) => step(o, events, get)).filter((h): h is EdgeHandler => h !== undefined);
      },
      inject: [SECURITY_OPTIONS, SecurityEvents, ModuleRef],
    },
    // ---- guards, in order ----
    ...stage(rateLimitFeature, 'ipGuard'),
    ...stage(signingFeature, 'guard'),
    ...stage(authFeature, 'guard'),
    ...stage(rateLimitFeature, 'principalGuard'),
    // GraphQL operations: the cost computed before execution, charged to the caller's budget.
    ...stage(graphqlFeature, 'budgetGuard'),
    // Outermost interceptor: a locked-out login is refused before idempotency or the handler run.
    ...stage(rateLimitFeature, 'loginInterceptor'),
    ...stage(authorizationFeature, 'rolesGuard'),
    ...stage(authorizationFeature, 'ownershipGuard'),
    // Step-up MFA after authorization: a caller who may not do this gets 403, not a step-up prompt.
    ...stage(authFeature, 'mfaGuard'),
    // Never refuse (except a retired route's 410); guards rather than interceptors because all
    // they do happens before the handler.
    ...stage(headersFeature, 'routeGuard'),
    ...enhancer(() => undefined, {
      kind: 'guard',
      type: DeprecationGuard,
      when: (_none, routesUse) => routesUse(DEPRECATED_KEY),
    }),
    // Never refuses, last: records the route's response filter once every guard admitted the
    // request; it is applied where the handler's result is serialized (no interceptor chain).
    ...stage(responseFilteringFeature, 'guard'),
    // ---- interceptors, outermost first ----
    ...stage(signingFeature, 'webhookInterceptor'),
    ...stage(idempotencyFeature, 'interceptor'),
    // Inside idempotency: a replayed response is not a second action.
    ...enhancer(() => undefined, {
      kind: 'interceptor',
      type: AuditInterceptor,
      when: (_none, routesUse) => routesUse(AUDIT_KEY),
    }),
    // Only when a route uses @Sse() or @Render() (results not serialized as JSON).
    ...stage(responseFilteringFeature, 'interceptor'),
    // ---- pipes ----
    ...stage(validationFeature, 'pipe'),
    { provide: APP_FILTER, useClass: SecurityExceptionFilter },
    // Route inventory: reads every feature's metadata at boot; not part of the request pipeline.
    SecurityInventory,
  ];
}

/** What SecurityModule exports for the app to inject: core services and the features' own. @internal */
export function securityExports(): unknown[] {
  return [
    SecuritySettings,
    SecurityEvents,
    SecurityMetrics,
    // For subclasses of the exported guards and interceptors registered outside this module.
    RoutePlanCache,
    SecurityInventory,
    ...SECURITY_FEATURES.flatMap((feature) => feature.exports ?? []),
  ];
}
