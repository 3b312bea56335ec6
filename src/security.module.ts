import {
  Inject,
  Logger,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { EdgeHandler } from './core/pipeline/edge-handler.interface';
import { installEdge } from './core/pipeline/install-edge';
import { EDGE_HANDLERS } from './core/internal.constants';
import { SECURITY_OPTIONS } from './core/security.constants';
import { SecurityStorage } from './storage/security-storage.interface';
import { ASYNC_OPTIONS_TYPE, ConfigurableModuleClass, OPTIONS_TYPE } from './security.module-definition';
import type { ResolvedSecurityOptions } from './security.options';
import { createSecurityProviders, securityExports } from './security.providers';
import { SecuritySettings } from './security.settings';
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
export class SecurityModule extends ConfigurableModuleClass implements NestModule, OnModuleInit {
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
        // The app's own providers that come with the library (PaginationPipe, UploadValidationPipe)
        // read the options through this token.
        SECURITY_OPTIONS,
        SecurityStorage,
        ...securityExports(),
      ],
    };
  }

  constructor(
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() @Inject(EDGE_HANDLERS) private readonly edgeHandlers?: EdgeHandler[],
    @Optional() @Inject(SECURITY_OPTIONS) private readonly options?: ResolvedSecurityOptions,
    @Optional() private readonly settings?: SecuritySettings,
  ) {
    super();
  }

  /** Logs what is on, once (opt out with `logSummary: false`). */
  onModuleInit(): void {
    if (this.options?.logSummary && this.settings) new Logger('SecurityModule').log(this.settings.summary);
  }

  /** Puts the edge steps (request id, HTTPS, headers, CORS, payload limits) in front of every request. */
  configure(consumer: MiddlewareConsumer): void {
    installEdge(consumer, this.adapterHost, this.edgeHandlers ?? []);
  }
}
