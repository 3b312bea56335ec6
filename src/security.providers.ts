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
    // [providers:guard-signature]
    // [providers:guard-authentication]
    // [providers:guard-principal-rate-limit]
    // [providers:guard-roles]
    // [providers:guard-ownership]
    // ---- interceptors, outermost first ----
    // [providers:interceptor-deprecation]
    // [providers:interceptor-idempotency]
    // [providers:interceptor-response-filter]
    // ---- pipes ----
    // [providers:pipe-validation]
    { provide: APP_FILTER, useClass: SecurityExceptionFilter },
  ];
}

/** Exposed for the pipeline-order test. @internal */
export const __enhancer = enhancer;
