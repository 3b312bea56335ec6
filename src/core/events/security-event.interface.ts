/**
 * Stable event types. New types may be added; existing ones never change meaning.
 *
 * @publicApi
 */
export const SecurityEventType = {
  AUTH_FAILED: 'AUTH_FAILED',
  AUTH_SUCCEEDED: 'AUTH_SUCCEEDED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  RATE_LIMITED: 'RATE_LIMITED',
  BURST_DETECTED: 'BURST_DETECTED',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  TOKEN_ISSUED: 'TOKEN_ISSUED',
  TOKEN_REFRESHED: 'TOKEN_REFRESHED',
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  REFRESH_REUSE_DETECTED: 'REFRESH_REUSE_DETECTED',
  API_KEY_CREATED: 'API_KEY_CREATED',
  API_KEY_REVOKED: 'API_KEY_REVOKED',
  API_KEY_ROTATED: 'API_KEY_ROTATED',
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  WEBHOOK_REJECTED: 'WEBHOOK_REJECTED',
  CORS_REJECTED: 'CORS_REJECTED',
  HTTPS_REQUIRED: 'HTTPS_REQUIRED',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  DEPRECATED_ROUTE_CALLED: 'DEPRECATED_ROUTE_CALLED',
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  STORAGE_RECOVERED: 'STORAGE_RECOVERED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  /** An override role (e.g. admin) passed an ownership check on someone else's resource. */
  OWNERSHIP_OVERRIDE: 'OWNERSHIP_OVERRIDE',
} as const;

/** @publicApi */
export type SecurityEventType = (typeof SecurityEventType)[keyof typeof SecurityEventType];

/** How a security decision ended. @publicApi */
export type SecurityOutcome = 'success' | 'failure' | 'blocked' | 'info';

/**
 * One structured audit event. Sensitive values are redacted before any sink sees it.
 *
 * @publicApi
 */
export interface SecurityEvent {
  type: SecurityEventType | string;
  /** ISO-8601 time. */
  time: string;
  outcome: SecurityOutcome;
  /** Precise, machine-friendly reason (e.g. `token_expired`). Never shown to clients. */
  reason?: string;
  requestId?: string;
  ip?: string;
  method?: string;
  path?: string;
  principalId?: string;
  principalType?: string;
  /** Feature-specific details (resource type and id, rule, limit...). Redacted. */
  details?: Record<string, unknown>;
}

/** What a feature passes to {@link SecurityEvents.emit}. @publicApi */
export interface SecurityEventInput {
  type: SecurityEventType | string;
  outcome: SecurityOutcome;
  reason?: string;
  /** The framework request (Express or Fastify), to fill request id, ip, method, path, principal. */
  request?: unknown;
  principalId?: string;
  details?: Record<string, unknown>;
}
