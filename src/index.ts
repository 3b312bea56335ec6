/**
 * nestjs-rampart: the public API. Everything a user may import is exported here by name; anything
 * not listed is internal and may change without notice.
 */
// Module
export { SecurityModule } from './security.module';
export type { SecurityModuleAsyncOptions, SecurityOptionsFactory } from './security.module-definition';

// Options and configuration
export { validateSecurityOptions, type SecurityModuleOptions } from './security.options';
export type {
  CoreOptions,
  ErrorOptions,
  EventOptions,
  LoginAnomalyOptions,
  MetricsOptions,
  RequestIdOptions,
  SecurityEventSink,
  SecurityProfile,
} from './core/options/core.options';
export type { MemoryStorageOptions, RedisStorageOptions, StorageOptions } from './storage/storage.options';
export { SecuritySettings, type SecurityFeatureName } from './security.settings';
export { PUBLIC_KEY } from './core/security.constants';
export { InjectSecurityStorage } from './storage/inject-security-storage.decorator';

// Errors
export { SecurityConfigError } from './core/errors/security-config.error';
export { SecurityErrorCode } from './core/errors/error-codes';
export { securityException, type SecurityErrorBody } from './core/errors/security-exception';
export { SecurityExceptionFilter } from './core/errors/security-exception.filter';

// Context
export type { Principal } from './core/context/principal.interface';
export { getPrincipal } from './core/context/request-state';

// Events (audit log)
export { SecurityEvents } from './core/events/security-events.service';
export {
  SecurityEventType,
  type SecurityEvent,
  type SecurityEventInput,
  type SecurityOutcome,
  type LoginOutcome,
} from './core/events/security-event.interface';

export { SECURITY_EVENT_CATALOG, missingEventFields, type SecurityEventSpec } from './core/events/event-catalog';

// Metrics (OpenTelemetry API)
export { SecurityMetrics, SECURITY_METER_NAME } from './core/metrics/security-metrics.service';

// Audit trail
export { Audit, type AuditOptions } from './audit/audit.decorator';
export { AuditInterceptor } from './audit/audit.interceptor';
export { AUDIT_KEY } from './audit/audit.constants';

// Storage
export {
  SecurityStorageHealthIndicator,
  type SecurityHealthStatus,
  type SecurityStorageHealthOptions,
  type SecurityStorageHealthResult,
} from './storage/storage-health.indicator';
export {
  SecurityStorage,
  storageKey,
  type MemoryScriptOps,
  type ScriptReply,
  type StorageScript,
} from './storage/security-storage.interface';
export { StorageUnavailableError } from './storage/storage-unavailable.error';
export {
  MemorySecurityStorage,
  StoragePartitionFullError,
  type MemoryPartitionName,
  type MemoryPartitionReport,
  type MemorySecurityStorageOptions,
  type MemoryStoragePartitions,
} from './storage/memory/memory.storage';
export { RedisSecurityStorage, type RedisSecurityStorageOptions } from './storage/redis/redis.storage';

// Configuration file
export { loadSecurityConfig, type LoadSecurityConfigOptions } from './config/load-security-config';

// GraphQL
export type { GraphqlBudgetOptions, GraphqlLimits, GraphqlOptions } from './graphql/graphql.options';
export { createGraphqlValidationRules } from './graphql/graphql-limits.rules';
export { GraphqlErrorCode } from './graphql/graphql.constants';
export {
  SecurityGraphQL,
  type GraphqlServerKind,
  type SecurityGraphqlAsyncOptions,
} from './graphql/security-graphql.service';
export { GraphqlBudgetGuard, type BudgetState } from './graphql/graphql-budget.guard';

// Authentication
export { Public } from './auth/public.decorator';
export { CurrentPrincipal } from './auth/current-principal.decorator';
export { Auth } from './auth/auth.decorator';
export { Scopes } from './auth/scopes.decorator';
export { AUTH_METHODS_KEY, SCOPES_KEY } from './auth/auth.constants';
export { AuthenticationGuard } from './auth/authentication.guard';
export { JwtAuthenticator } from './auth/jwt/jwt-authenticator.service';
export { JwtVerificationError, type JwtFailureReason } from './auth/jwt/jwt-error';
export { JWT_ALGORITHMS, type JwtAlgorithm } from './auth/jwt/jwt-crypto.util';
export { JwtVerifier, type JwtClaims, type TokenKind } from './auth/jwt/jwt-verifier';
export {
  TokenService,
  type TokenPair,
  type TokenSubject,
  type TokenCallContext,
  type SessionOptions,
} from './auth/tokens/token.service';
export { TokenRevocationService } from './auth/tokens/token-revocation.service';
export {
  ApiKeyService,
  ApiKeyVerificationError,
  type ApiKeyFailureReason,
  type ApiKeyInfo,
  type CreateApiKeyInput,
  type CreateOwnApiKeyInput,
  type CreatedApiKey,
} from './auth/api-key/api-key.service';
export type { ApiKeyRecord, ApiKeyStore } from './auth/api-key/api-key-store.interface';
export { StorageApiKeyStore } from './auth/api-key/storage-api-key.store';
export type {
  AuthOptions,
  AuthMethod,
  JwtOptions,
  JwtKeyOptions,
  RemoteJwksOptions,
  ApiKeyOptions,
} from './auth/auth.options';
// Step-up MFA: TOTP enrolment and verification, @RequireMfa()
export { RequireMfa, REQUIRE_MFA_KEY, type RequireMfaOptions } from './auth/mfa/require-mfa.decorator';
export { MfaGuard } from './auth/mfa/mfa.guard';
export { TotpService, type TotpEnrollment, type TotpVerification, type TotpCallContext } from './auth/mfa/totp.service';
export type { MfaOptions, TotpOptions, TotpAlgorithm } from './auth/mfa/mfa.options';
export { SessionCookies, type CookieSession, type SessionCookieContext } from './auth/session/session-cookies.service';
export type { SessionCookieOptions } from './auth/session/session-cookies.options';

// HTTP edge: security headers, HTTPS enforcement, CORS
export type { HeadersOptions, HstsOptions, HttpsEnforcementOptions } from './headers/headers.options';
export { SecurityHeaders, type SecurityHeadersOverride } from './headers/security-headers.decorator';
export { SECURITY_HEADERS_KEY } from './headers/headers.constants';
export { SecurityHeadersGuard } from './headers/security-headers.guard';
export type { CorsOptions, CorsPolicyOptions } from './cors/cors.options';
export { generateCorsPolicy, type CorsPolicyReport, type GenerateCorsPolicyOptions } from './cors/generate-cors-policy';

// Request signing and webhook verification
export type { SigningOptions, WebhookOptions } from './signing/signing.options';
export { Signed } from './signing/signed.decorator';
export { VerifyWebhook, type VerifyWebhookOptions } from './signing/verify-webhook.decorator';
export { RequestSignatureGuard } from './signing/request-signature.guard';
export { WebhookReplayInterceptor } from './signing/webhook-replay.interceptor';
export { signRequest, type SignRequestInput, type SignedRequestHeaders } from './signing/sign-request';
export { canonicalRequestString, SIGNATURE_SCHEME, type CanonicalRequestParts } from './signing/canonical-request.util';
export { signWebhook, type SignWebhookInput, type WebhookScheme } from './signing/webhook-schemes';
export { SIGNED_KEY, WEBHOOK_KEY } from './signing/signing.constants';

// API deprecation
export { Deprecated, type DeprecatedOptions } from './deprecation/deprecated.decorator';
export { DeprecationGuard } from './deprecation/deprecation.guard';
export { DEPRECATED_KEY } from './deprecation/deprecation.constants';

// Authorization (roles, permissions, ownership, policies)
export {
  ROLES_KEY,
  PERMISSIONS_KEY,
  OWNS_KEY,
  POLICIES_KEY,
  SECURITY_RESOURCE_KEY,
  type MatchMode,
  type AccessRequirement,
  type OwnsRule,
  type PolicyRule,
} from './authz/authorization.constants';
export { Roles, Permissions } from './authz/roles.decorator';
export { Owns, type OwnsOptions } from './authz/owns.decorator';
export { Policy, type PolicyOptions } from './authz/policy.decorator';
export { SecurityResource } from './authz/security-resource.decorator';
export { LoadedResource } from './authz/loaded-resource.decorator';
export { AuthorizationService, type OwnerFilterOptions } from './authz/authorization.service';
export { RolesGuard } from './authz/roles.guard';
export { OwnershipGuard } from './authz/ownership.guard';
export type {
  AuthorizationDenial,
  AuthorizationExceptionFactory,
  AuthorizationOptions,
  AuthorizationPolicy,
  OwnershipOptions,
  PolicyContext,
  ResourceLoadContext,
  ResourceLoader,
  RoleDefinition,
} from './authz/authorization.options';

// Response filtering
export {
  SERIALIZE_KEY,
  ALLOW_SENSITIVE_FIELDS_KEY,
  type SerializeOptions,
  type SerializeMetadata,
} from './filtering/filtering.constants';
export { Serialize } from './filtering/serialize.decorator';
export { AllowSensitiveFields } from './filtering/allow-sensitive-fields.decorator';
export { ResponseFilterInterceptor } from './filtering/response-filter.interceptor';
export { DEFAULT_SENSITIVE_FIELDS, type ResponseFilteringOptions } from './filtering/response-filtering.options';

// Idempotency
export type {
  IdempotencyAnonymousPolicy,
  IdempotencyOptions,
  IdempotencyRefusal,
  IdempotencyScope,
  IdempotentRouteOptions,
} from './idempotency/idempotency.options';
export { Idempotent } from './idempotency/idempotent.decorator';
export { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
export { IDEMPOTENT_KEY, IDEMPOTENT_REPLAYED_HEADER } from './idempotency/idempotency.constants';

// Validation hardening
export type {
  PaginationOptions,
  ValidationErrorStatus,
  ValidationExceptionFactory,
  ValidationIssue,
  ValidationOptions,
} from './validation/validation.options';
export { SecurityValidationPipe } from './validation/security-validation.pipe';
export { ValidatedHeaders } from './validation/validated-headers.decorator';
export { PaginationPipe, type Pagination } from './validation/pagination.pipe';
export { UploadValidationPipe, type UploadRules, type UploadedFileLike } from './validation/upload-validation.pipe';

// Rate limiting
export type {
  LoginRateLimitOptions,
  RateLimitEscalationOptions,
  RateLimitOptions,
  RateLimitPolicy,
} from './throttling/rate-limit.options';
export {
  LoginRateLimit,
  RateLimit,
  SkipRateLimit,
  type LoginRateLimitRouteOptions,
} from './throttling/rate-limit.decorator';
export { LOGIN_RATE_LIMIT_KEY, RATE_LIMIT_KEY, SKIP_RATE_LIMIT_KEY } from './throttling/rate-limit.constants';
export { RateLimiterService } from './throttling/rate-limiter.service';
export { RateLimitBaseGuard } from './throttling/rate-limit-base.guard';
export { RateLimitGuard } from './throttling/rate-limit.guard';
export { ANONYMOUS_TIER, AUTHENTICATED_TIER, PrincipalRateLimitGuard } from './throttling/principal-rate-limit.guard';
export { LoginRateLimitInterceptor } from './throttling/login-rate-limit.interceptor';
export {
  MemoryThrottlerStorage,
  type MemoryThrottlerStorageOptions,
  type ThrottlerStorageRecord,
} from './storage/memory/memory-throttler.storage';
export { RedisThrottlerStorage, type RedisThrottlerStorageOptions } from './storage/redis/redis-throttler.storage';

// Route security inventory
export type { InventoryOptions } from './inventory/inventory.options';
export { SecurityInventory } from './inventory/security-inventory.service';
export { AcceptRisk } from './inventory/accept-risk.decorator';
export {
  ACCEPT_RISK_KEY,
  INVENTORY_FORMAT,
  INVENTORY_VERSION,
  InventoryWarningCode,
} from './inventory/inventory.constants';
export type {
  InventoryAcceptedRisk,
  InventoryDocument,
  InventoryRateLimit,
  InventoryRoute,
  InventoryWarning,
} from './inventory/inventory.interface';

// OpenAPI (@nestjs/swagger, optional peer)
export { enrichOpenApiDocument } from './inventory/openapi/enrich-openapi';
export { createOpenApiDocument, type CreateOpenApiDocumentOptions } from './inventory/openapi/create-openapi-document';
export {
  RAMPART_ERROR_SCHEMA,
  RAMPART_SECURITY_SCHEMES,
  type OpenApiDocument,
} from './inventory/openapi/openapi.types';
