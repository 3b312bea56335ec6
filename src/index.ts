/**
 * nestjs-rampart: the public API. Everything a user may import is exported here by name; anything
 * not listed is internal and may change without notice.
 */
// Module
export { SecurityModule } from './security.module';
export type { SecurityModuleAsyncOptions, SecurityOptionsFactory } from './security.module-definition';

// Options and configuration
export type {
  SecurityModuleOptions,
  ResolvedSecurityOptions,
  SecurityProfile,
} from './core/options/security-options.interface';
export type {
  ErrorOptions,
  EventOptions,
  MemoryStorageOptions,
  RedisStorageOptions,
  RequestIdOptions,
  SecurityEventSink,
} from './core/options/core.options';
export { resolveSecurityOptions } from './core/options/resolve-options';
export { SECURITY_OPTIONS, PUBLIC_KEY } from './core/security.constants';
export { InjectSecurityOptions, InjectSecurityStorage } from './core/decorators';

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
} from './core/events/security-event.interface';

// Storage
export {
  SecurityStorage,
  storageKey,
  type MemoryScriptOps,
  type ScriptReply,
  type StorageScript,
} from './storage/security-storage.interface';
export { StorageUnavailableError } from './storage/storage-unavailable.error';
export { MemorySecurityStorage, type MemorySecurityStorageOptions } from './storage/memory/memory.storage';
export { RedisSecurityStorage, type RedisSecurityStorageOptions } from './storage/redis/redis.storage';

// Configuration file
export { loadSecurityConfig, type LoadSecurityConfigOptions } from './core/config/load-security-config';

// GraphQL limits
export type { GraphqlOptions } from './core/options/graphql.options';
export { createGraphqlValidationRules } from './graphql/graphql-limits.rules';

// Authentication
export { Public } from './auth/public.decorator';
export { CurrentPrincipal } from './auth/current-principal.decorator';
// [index:features] one block per feature
