import type { AnySecurityFeature } from './core/feature/security-feature.interface';
import {
  CORE_KEYS,
  createResolveContext,
  resolveCoreOptions,
  type CoreOptions,
  type ResolvedCoreOptions,
} from './core/options/core.options';
import { deepFreeze, optionKeys, readSection, refuseUnknownKeys } from './core/options/validate.util';
import type { AuthOptions, ResolvedAuthOptions } from './auth/auth.options';
import { authFeature } from './auth/auth.feature';
import type { AuthorizationOptions, ResolvedAuthorizationOptions } from './authz/authorization.options';
import { authorizationFeature } from './authz/authorization.feature';
import type { CorsOptions, ResolvedCorsOptions } from './cors/cors.options';
import { corsFeature } from './cors/cors.feature';
import type {
  ResolvedResponseFilteringOptions,
  ResponseFilteringOptions,
} from './filtering/response-filtering.options';
import { responseFilteringFeature } from './filtering/response-filtering.feature';
import type { GraphqlOptions, ResolvedGraphqlOptions } from './graphql/graphql.options';
import { graphqlFeature } from './graphql/graphql.feature';
import type { HeadersOptions, ResolvedHeadersOptions } from './headers/headers.options';
import { headersFeature } from './headers/headers.feature';
import type { InventoryOptions, ResolvedInventoryOptions } from './inventory/inventory.options';
import { inventoryFeature } from './inventory/inventory.feature';
import type { IdempotencyOptions, ResolvedIdempotencyOptions } from './idempotency/idempotency.options';
import { idempotencyFeature } from './idempotency/idempotency.feature';
import type { ResolvedSigningOptions, SigningOptions } from './signing/signing.options';
import { signingFeature } from './signing/signing.feature';
import type { ResolvedStorageOptions, StorageOptions } from './storage/storage.options';
import { storageFeature } from './storage/storage.feature';
import type { RateLimitOptions, ResolvedRateLimitOptions } from './throttling/rate-limit.options';
import { rateLimitFeature } from './throttling/rate-limit.feature';
import type { ResolvedValidationOptions, ValidationOptions } from './validation/validation.options';
import { validationFeature } from './validation/validation.feature';

/**
 * Everything `SecurityModule.forRoot()` accepts. Every section is optional; what is left out gets
 * the safe default. Unknown keys are refused at boot with a "did you mean" hint.
 *
 * @publicApi
 */
export interface SecurityModuleOptions extends CoreOptions {
  /**
   * Where stateful features keep their state (rate limits, idempotency, revocation, refresh
   * families, API keys, nonces). A custom `SecurityStorage` instance is accepted too.
   * @default { type: 'memory' }
   */
  storage?: StorageOptions;
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
 * The options after defaults, validation and derivation, deep-frozen. Internal: the app reads
 * what it may through `SecuritySettings`.
 *
 * @internal
 */
export interface ResolvedSecurityOptions extends ResolvedCoreOptions {
  storage: ResolvedStorageOptions;
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

/**
 * The option sections of the features, in the order they are resolved (and documented). Rate
 * limiting comes before CORS, which exposes the rate-limit headers to scripts.
 *
 * @internal
 */
export const SECURITY_FEATURES = [
  storageFeature,
  authFeature,
  authorizationFeature,
  responseFilteringFeature,
  rateLimitFeature,
  idempotencyFeature,
  validationFeature,
  headersFeature,
  corsFeature,
  signingFeature,
  graphqlFeature,
  inventoryFeature,
] as const satisfies readonly AnySecurityFeature[];

type FeatureKey = (typeof SECURITY_FEATURES)[number]['key'];
// Every section of the resolved options has a descriptor, and every descriptor a section.
const _everySection: Exclude<keyof ResolvedSecurityOptions, keyof ResolvedCoreOptions> extends FeatureKey
  ? FeatureKey extends keyof ResolvedSecurityOptions
    ? true
    : never
  : never = true;
void _everySection;

/**
 * Every top-level option, in documentation order, checked against {@link SecurityModuleOptions}
 * at compile time (`isGlobal` is the module's own extra).
 *
 * @internal
 */
export const TOP_LEVEL_KEYS = optionKeys<SecurityModuleOptions & { isGlobal?: boolean }>()([
  'profile',
  'storage',
  ...CORE_KEYS.filter((key) => key !== 'profile' && key !== 'logSummary'),
  ...SECURITY_FEATURES.filter((f) => f.key !== 'storage').map((f) => f.key),
  'logSummary',
  'isGlobal',
]);

/**
 * Merges defaults into the user's options, validates every value, derives what requests need
 * (compiled matchers, header strings, imported keys) and deep-freezes the result. Runs once, at
 * boot; throws `SecurityConfigError` on the first problem, naming the option and the fix.
 *
 * @internal
 */
export function resolveSecurityOptions(options: SecurityModuleOptions | undefined): ResolvedSecurityOptions {
  const raw = readSection(options, 'options');
  refuseUnknownKeys(raw, TOP_LEVEL_KEYS, '');
  const core = resolveCoreOptions(raw);
  let ctx = createResolveContext(core);
  const resolved: Record<string, unknown> = { ...core };
  for (const feature of SECURITY_FEATURES as readonly AnySecurityFeature[]) {
    const section = feature.resolve(raw[feature.key], ctx);
    resolved[feature.key] = section;
    const exposed = feature.exposedHeaders?.(section) ?? [];
    if (exposed.length > 0) ctx = { ...ctx, exposedHeaders: [...(ctx.exposedHeaders ?? []), ...exposed] };
  }
  return deepFreeze(resolved as unknown as ResolvedSecurityOptions);
}

/**
 * Validates options exactly as SecurityModule does at boot, without starting anything: throws a
 * `SecurityConfigError` naming the first bad option and how to fix it. Use it in a test or a CI
 * step that checks a configuration before it is deployed.
 *
 * @example
 * ```ts
 * validateSecurityOptions({ profile: 'production', auth: { jwt: { secret: process.env.JWT_SECRET } } });
 * ```
 * @publicApi
 */
export function validateSecurityOptions(options: SecurityModuleOptions): void {
  resolveSecurityOptions(options);
}
