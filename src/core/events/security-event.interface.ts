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
  /** The storage is down and token revocations are checked against this instance's replica (`auth.revocation.outage: 'replica'`). */
  REVOCATION_REPLICA_ACTIVE: 'REVOCATION_REPLICA_ACTIVE',
  /** The storage answers revocation checks again: `details.checks` were answered by the replica. */
  REVOCATION_REPLICA_RELEASED: 'REVOCATION_REPLICA_RELEASED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  /** An override role (e.g. admin) passed an ownership check on someone else's resource. */
  OWNERSHIP_OVERRIDE: 'OWNERSHIP_OVERRIDE',
  /** A login attempt was refused (wrong username or password). `details.usernameHash`, never the username. */
  LOGIN_FAILED: 'LOGIN_FAILED',
  /** A login succeeded. */
  LOGIN_SUCCEEDED: 'LOGIN_SUCCEEDED',
  /** A rate-limit episode ended: `details.refused` counts the requests refused during it. */
  RATE_LIMIT_ENDED: 'RATE_LIMIT_ENDED',
  /** An `@Audit()` action ran: who (principal) did what (`details.action`) to which resource, with its outcome. */
  AUDIT: 'AUDIT',
  /** One IP failed to log in as many different usernames within the window (password spraying). */
  PASSWORD_SPRAYING_SUSPECTED: 'PASSWORD_SPRAYING_SUSPECTED',
  /** One username failed to log in from many different IPs within the window (credential stuffing). */
  CREDENTIAL_STUFFING_SUSPECTED: 'CREDENTIAL_STUFFING_SUSPECTED',
  /** A route refused a token without a recent multi-factor step-up (`@RequireMfa()`). `details.maxAgeSec`. */
  MFA_REQUIRED: 'MFA_REQUIRED',
  /** A one-time code was accepted (a step-up). `details.method`, never the code. */
  MFA_VERIFIED: 'MFA_VERIFIED',
  /** A one-time code was refused: `reason` malformed, invalid, replayed or too_many_attempts. Never the code. */
  MFA_FAILED: 'MFA_FAILED',
  /** A cookie-authenticated write without a valid CSRF token (`reason` says which check failed; never the token). */
  CSRF_REJECTED: 'CSRF_REJECTED',
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
  /** The request path as sent, without the query string. */
  path?: string;
  /** The route template that matched (`/documents/:id`), when routing has happened. */
  route?: string;
  /** The client's `User-Agent` (at most 256 characters). */
  userAgent?: string;
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
  /**
   * Groups repeated `RATE_LIMITED` refusals into one episode (e.g. the tracker and policies): the
   * first is written, the rest are counted into the episode's `RATE_LIMIT_ENDED`. Not written.
   */
  episode?: string;
  /** With `episode`: whether the store started a new episode (`undefined`: when none is open here). */
  first?: boolean;
}

/**
 * A login outcome reported through {@link SecurityEvents.loginFailed} or
 * {@link SecurityEvents.loginSucceeded}.
 *
 * @publicApi
 */
export interface LoginOutcome {
  /** The framework request: request id, IP, route, user agent. */
  request?: unknown;
  /** The username as typed. Only its keyed hash is written (`details.usernameHash`). */
  username?: string;
  /** Why it failed (`invalid_credentials`, `account_locked`, `mfa_failed`...), or how it succeeded. */
  reason?: string;
  /** The user's id, on success. */
  principalId?: string;
  /** Extra context (redacted like every event's details). Never the password. */
  details?: Record<string, unknown>;
}
