import type { SecurityStorage } from '../../storage/security-storage.interface';
import type {
  ErrorOptions,
  EventOptions,
  MemoryStorageOptions,
  RedisStorageOptions,
  RequestIdOptions,
  ResolvedCoreOptions,
  SecurityProfile,
} from './core.options';
// [options:imports] one line per feature, keep sorted by pipeline order
import type { AuthOptions, ResolvedAuthOptions } from './auth.options';
import type { AuthorizationOptions, ResolvedAuthorizationOptions } from './authorization.options';
import type { CorsOptions, ResolvedCorsOptions } from './cors.options';
import type { GraphqlOptions, ResolvedGraphqlOptions } from './graphql.options';
import type { HeadersOptions, ResolvedHeadersOptions } from './headers.options';
import type { IdempotencyOptions, ResolvedIdempotencyOptions } from './idempotency.options';
import type { RateLimitOptions, ResolvedRateLimitOptions } from './rate-limit.options';
import type { ResolvedResponseFilteringOptions, ResponseFilteringOptions } from './response-filtering.options';
import type { ResolvedSigningOptions, SigningOptions } from './signing.options';
import type { ResolvedValidationOptions, ValidationOptions } from './validation.options';
import type { InventoryOptions, ResolvedInventoryOptions } from '../../inventory/inventory.options';

/**
 * Everything `SecurityModule.forRoot()` accepts. Every section is optional; what is left out gets
 * the safe default. Unknown keys are refused at boot with a "did you mean" hint.
 *
 * @publicApi
 */
export interface SecurityModuleOptions {
  /**
   * Environment profile. `production` refuses development conveniences (plain-http CORS
   * origins, weak secrets...).
   * @default process.env.NODE_ENV === 'production' ? 'production' : 'development'
   */
  profile?: SecurityProfile;
  /**
   * Where stateful features keep their state (rate limits, idempotency, revocation, refresh
   * families, API keys, nonces). A custom {@link SecurityStorage} instance is accepted too.
   * @default { type: 'memory' }
   */
  storage?: MemoryStorageOptions | RedisStorageOptions | SecurityStorage;
  /**
   * Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed: IPs, CIDRs, or
   * `loopback`, `private`, `linklocal`. Anyone else's forwarded headers are ignored.
   * @default []
   */
  trustProxy?: string[];
  /** Request id header handling. */
  requestId?: RequestIdOptions;
  /** Error body format. */
  errors?: ErrorOptions;
  /** Security events (audit log). */
  events?: EventOptions;
  /** Authentication: JWT, refresh tokens, API keys. */
  auth?: AuthOptions;
  /** Authorization: roles, permissions, ownership and policies. */
  authorization?: AuthorizationOptions;
  /** Response filtering: allowlist DTOs and the sensitive-field denylist. */
  responseFiltering?: ResponseFilteringOptions;
  /** Rate limiting. */
  rateLimit?: RateLimitOptions;
  /** Idempotency-Key handling. */
  idempotency?: IdempotencyOptions;
  /** Input validation hardening. */
  validation?: ValidationOptions;
  /** Security response headers. */
  headers?: HeadersOptions;
  /** CORS policy. */
  cors?: CorsOptions;
  /** HMAC request signing. */
  signing?: SigningOptions;
  /** GraphQL limits. */
  graphql?: GraphqlOptions;
  /** Route security inventory: boot table, risk warnings, JSON file. */
  inventory?: InventoryOptions;
}

/**
 * The options after defaults, validation and derivation, deep-frozen. Inject with
 * `@InjectSecurityOptions()`.
 *
 * @publicApi
 */
export interface ResolvedSecurityOptions extends ResolvedCoreOptions {
  auth: ResolvedAuthOptions;
  authorization: ResolvedAuthorizationOptions;
  responseFiltering: ResolvedResponseFilteringOptions;
  rateLimit: ResolvedRateLimitOptions;
  idempotency: ResolvedIdempotencyOptions;
  validation: ResolvedValidationOptions;
  headers: ResolvedHeadersOptions;
  cors: ResolvedCorsOptions;
  signing: ResolvedSigningOptions;
  graphql: ResolvedGraphqlOptions;
  inventory: ResolvedInventoryOptions;
}

/** Passed to every feature resolver. @internal */
export interface ResolveContext {
  profile: SecurityProfile;
  /** Compiled `trustProxy` matcher. */
  isTrustedProxy: (ip: string) => boolean;
}

export type { SecurityProfile };
