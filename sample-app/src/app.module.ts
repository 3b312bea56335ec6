import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SecurityModule, type SecurityModuleOptions } from 'nestjs-rampart';
import { AuthController } from './auth/auth.controller';
import { SessionController } from './auth/session.controller';
import { sampleAuthOptions } from './auth/auth.options';
import { HealthController } from './health/health.controller';
import { sampleRateLimitOptions } from './rate-limit/rate-limit.options';
import { PlansController } from './rate-limit/plans.controller';
import { sampleCorsOptions, sampleHeadersOptions, sampleSigningOptions } from './edge/edge.options';
import { PartnerController } from './partner/partner.controller';
import { WebhooksController } from './webhooks/webhooks.controller';
import { DocumentsService } from './documents/documents.service';
import { PaymentsService } from './payments/payments.service';
import { PaymentsController } from './payments/payments.controller';
import { sampleIdempotencyOptions, sampleValidationOptions } from './payments/payments.options';
import { UsersService } from './users/users.service';
import { AdminController } from './admin/admin.controller';
import { LoginProtectionController } from './admin/login-protection.controller';
import { DocumentLoader } from './documents/document.loader';
import { DocumentsController } from './documents/documents.controller';
import { sampleAuthorizationOptions, sampleResponseFilteringOptions } from './documents/documents.authorization';
import { docsEnabled, DocsModule } from './docs/docs.module';
import { withSecurityConfigFile } from './config/security-config-file';
import { DocumentsResolver } from './graphql/documents.resolver';
import { sampleGraphqlModule } from './graphql/sample-graphql.module';
import { UsersResolver } from './graphql/users.resolver';

/**
 * The sample app's security configuration. Everything comes from the environment:
 * `JWT_SECRET` (a random one per start when unset), `REDIS_URL` (memory stores when unset),
 * `REDIS_COMMAND_TIMEOUT_MS` (the library's 75 ms when unset).
 */
export function sampleSecurityOptions(env: NodeJS.ProcessEnv = process.env): SecurityModuleOptions {
  return {
    storage: env.REDIS_URL
      ? {
          type: 'redis',
          url: env.REDIS_URL,
          keyPrefix: env.REDIS_PREFIX ?? 'rampart-sample:',
          ...(env.REDIS_COMMAND_TIMEOUT_MS ? { commandTimeoutMs: Number(env.REDIS_COMMAND_TIMEOUT_MS) } : {}),
        }
      : { type: 'memory' },
    trustProxy: ['loopback'],
    auth: sampleAuthOptions(env),
    idempotency: sampleIdempotencyOptions,
    validation: sampleValidationOptions,
    rateLimit: sampleRateLimitOptions(env),
    headers: sampleHeadersOptions(env),
    cors: sampleCorsOptions(env),
    signing: sampleSigningOptions(env),
    authorization: sampleAuthorizationOptions,
    responseFiltering: sampleResponseFilteringOptions,
    // GraphQL: the limits' defaults, and 10,000 cost points per minute per caller.
    graphql: { budget: { points: 10_000, windowSec: 60 } },
  };
}

/**
 * The app's one SecurityModule: imported by AppModule and handed to the GraphQL module.
 * SECURITY_CONFIG=security.yaml lays a config file over these options (see config/).
 */
const security = SecurityModule.forRootAsync({ useFactory: () => withSecurityConfigFile(sampleSecurityOptions()) });

@Module({
  imports: [
    security,
    // /health: the security storage's health indicator
    TerminusModule.forRoot({ logger: false }),
    // /openapi.json and Swagger UI at /docs, outside production
    ...(docsEnabled() ? [DocsModule] : []),
  ],
  controllers: [
    HealthController,
    PartnerController,
    WebhooksController,
    AuthController,
    SessionController,
    PaymentsController,
    DocumentsController,
    AdminController,
    LoginProtectionController,
    PlansController,
  ],
  providers: [UsersService, DocumentsService, PaymentsService, DocumentLoader],
})
export class AppModule {
  /** The app with `POST /graphql` too: Apollo on Express, Mercurius on Fastify. */
  static withGraphql(adapter: 'express' | 'fastify'): DynamicModule {
    return {
      module: AppModule,
      imports: [sampleGraphqlModule(security, adapter)],
      providers: [DocumentsResolver, UsersResolver],
    };
  }
}
