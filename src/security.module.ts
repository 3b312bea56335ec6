import { Inject, type MiddlewareConsumer, Module, type NestModule, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RoutePlanCache } from './core/context/route-plan.cache';
import { SecurityEvents } from './core/events/security-events.service';
import type { EdgeHandler } from './core/pipeline/edge-handler.interface';
import { installEdge } from './core/pipeline/install-edge';
import { EDGE_HANDLERS } from './core/internal.constants';
import { SECURITY_OPTIONS } from './core/security.constants';
import { SecurityStorage } from './storage/security-storage.interface';
import { ASYNC_OPTIONS_TYPE, ConfigurableModuleClass, OPTIONS_TYPE } from './security.module-definition';
import { createSecurityProviders } from './security.providers';
// [module:imports]
import { ApiKeyService } from './auth/api-key/api-key.service';
import { JwtAuthenticator } from './auth/jwt/jwt-authenticator.service';
import { TokenRevocationService } from './auth/tokens/token-revocation.service';
import { TokenService } from './auth/tokens/token.service';
import { RateLimiterService } from './throttling/rate-limiter.service';
import { AuthorizationService } from './authz/authorization.service';
import { SecurityInventory } from './inventory/security-inventory.service';

/**
 * One import that puts every route of the app behind an ordered, fail-closed security pipeline.
 * See `security.providers.ts` for the order.
 *
 * @example
 * ```ts
 * @Module({ imports: [SecurityModule.forRoot({ auth: { jwt: { secret: process.env.JWT_SECRET } } })] })
 * export class AppModule {}
 * ```
 * @publicApi
 */
@Module({})
export class SecurityModule extends ConfigurableModuleClass implements NestModule {
  static forRoot(options: typeof OPTIONS_TYPE = {}): ReturnType<typeof ConfigurableModuleClass.forRoot> {
    return SecurityModule.withPipeline(super.forRoot(options));
  }

  static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): ReturnType<typeof ConfigurableModuleClass.forRootAsync> {
    return SecurityModule.withPipeline(super.forRootAsync(options));
  }

  private static withPipeline<M extends { providers?: unknown[]; exports?: unknown[] }>(definition: M): M {
    return {
      ...definition,
      providers: [...(definition.providers ?? []), ...createSecurityProviders()],
      exports: [
        ...(definition.exports ?? []),
        SECURITY_OPTIONS,
        SecurityStorage,
        SecurityEvents,
        // For subclasses of the exported guards and interceptors registered outside this module.
        RoutePlanCache,
        // [module:exports]
        TokenService,
        TokenRevocationService,
        ApiKeyService,
        JwtAuthenticator,
        RateLimiterService,
        AuthorizationService,
        SecurityInventory,
      ],
    };
  }

  constructor(
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() @Inject(EDGE_HANDLERS) private readonly edgeHandlers?: EdgeHandler[],
  ) {
    super();
  }

  /** Puts the edge steps (request id, HTTPS, headers, CORS, payload limits) in front of every request. */
  configure(consumer: MiddlewareConsumer): void {
    installEdge(consumer, this.adapterHost, this.edgeHandlers ?? []);
  }
}
