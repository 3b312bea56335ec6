import type { SecurityEvent, SecurityEventType, SecurityOutcome } from './security-event.interface';

/** What one event type always carries. @publicApi */
export interface SecurityEventSpec {
  /** The outcomes it may have. */
  outcomes: readonly SecurityOutcome[];
  /** Top-level fields it always has (besides `type`, `time`, `outcome`). */
  fields: readonly (keyof SecurityEvent)[];
  /** `details` fields it always has. */
  details: readonly string[];
}

/** The request context of an event emitted while serving a request. */
const REQUEST = ['requestId', 'ip', 'method', 'path'] as const satisfies readonly (keyof SecurityEvent)[];

/**
 * Every event type and what it always carries: the contract a SIEM parser can rely on (tested
 * against what each action emits). Fields "where known" (`userAgent`, `route`, `principalId` on
 * anonymous requests) are not listed.
 *
 * @publicApi
 */
export const SECURITY_EVENT_CATALOG = {
  AUTH_FAILED: { outcomes: ['failure'], fields: ['reason'], details: [] },
  AUTH_SUCCEEDED: { outcomes: ['success'], fields: [...REQUEST, 'principalId', 'principalType'], details: ['method'] },
  PERMISSION_DENIED: { outcomes: ['blocked'], fields: [...REQUEST, 'reason'], details: [] },
  RATE_LIMITED: { outcomes: ['blocked'], fields: [...REQUEST, 'reason'], details: ['tracker', 'retryAfter'] },
  RATE_LIMIT_ENDED: { outcomes: ['info'], fields: [], details: ['tracker', 'refused', 'durationMs'] },
  BURST_DETECTED: { outcomes: ['blocked'], fields: [...REQUEST, 'reason'], details: ['tracker', 'policies'] },
  VALIDATION_FAILED: { outcomes: ['blocked'], fields: [...REQUEST, 'reason'], details: [] },
  TOKEN_ISSUED: { outcomes: ['success'], fields: ['principalId'], details: ['sid'] },
  TOKEN_REFRESHED: { outcomes: ['success'], fields: ['principalId'], details: ['sid'] },
  TOKEN_REVOKED: { outcomes: ['success'], fields: ['principalId'], details: [] },
  REFRESH_REUSE_DETECTED: { outcomes: ['blocked'], fields: ['principalId', 'reason'], details: ['sid'] },
  API_KEY_CREATED: { outcomes: ['success'], fields: ['principalId'], details: ['keyId'] },
  API_KEY_REVOKED: { outcomes: ['success'], fields: ['principalId'], details: ['keyId'] },
  API_KEY_ROTATED: { outcomes: ['success'], fields: ['principalId'], details: ['keyId', 'newKeyId'] },
  SIGNATURE_INVALID: { outcomes: ['failure'], fields: [...REQUEST, 'reason'], details: [] },
  WEBHOOK_REJECTED: { outcomes: ['failure'], fields: [...REQUEST, 'reason'], details: [] },
  CORS_REJECTED: { outcomes: ['blocked'], fields: [...REQUEST, 'reason'], details: ['origin'] },
  CSRF_REJECTED: { outcomes: ['blocked'], fields: [...REQUEST, 'reason'], details: [] },
  HTTPS_REQUIRED: { outcomes: ['blocked'], fields: [...REQUEST], details: [] },
  IDEMPOTENCY_CONFLICT: { outcomes: ['blocked', 'info'], fields: [...REQUEST, 'reason'], details: [] },
  DEPRECATED_ROUTE_CALLED: { outcomes: ['info', 'blocked'], fields: [...REQUEST, 'reason'], details: ['sunset'] },
  STORAGE_UNAVAILABLE: { outcomes: ['failure'], fields: ['reason'], details: [] },
  STORAGE_RECOVERED: { outcomes: ['info'], fields: ['reason'], details: [] },
  REVOCATION_REPLICA_ACTIVE: { outcomes: ['info'], fields: ['reason'], details: ['entries', 'stalenessMs'] },
  REVOCATION_REPLICA_RELEASED: { outcomes: ['info'], fields: ['reason'], details: ['checks', 'durationMs'] },
  INTERNAL_ERROR: { outcomes: ['failure'], fields: ['reason'], details: [] },
  OWNERSHIP_OVERRIDE: { outcomes: ['info'], fields: [...REQUEST, 'principalId', 'reason'], details: ['role'] },
  LOGIN_FAILED: { outcomes: ['failure'], fields: [...REQUEST, 'reason'], details: ['usernameHash'] },
  LOGIN_SUCCEEDED: { outcomes: ['success'], fields: [...REQUEST], details: ['usernameHash'] },
  AUDIT: {
    outcomes: ['success', 'failure'],
    fields: [...REQUEST, 'route', 'reason'],
    details: ['action', 'resource', 'status'],
  },
  PASSWORD_SPRAYING_SUSPECTED: {
    outcomes: ['failure'],
    fields: ['ip'],
    details: ['distinctUsernames', 'windowSeconds'],
  },
  CREDENTIAL_STUFFING_SUSPECTED: {
    outcomes: ['failure'],
    fields: [],
    details: ['usernameHash', 'distinctIps', 'windowSeconds'],
  },
  MFA_REQUIRED: { outcomes: ['blocked'], fields: [...REQUEST, 'reason'], details: ['maxAgeSec'] },
  MFA_VERIFIED: { outcomes: ['success'], fields: ['principalId'], details: ['method'] },
  MFA_FAILED: { outcomes: ['failure'], fields: ['principalId', 'reason'], details: ['method'] },
} as const satisfies Record<SecurityEventType, SecurityEventSpec>;

/**
 * What `event` lacks of its type's catalog entry (`[]` when complete; `['unknown type']` for a
 * type outside the catalog). For tests and sink-side checks.
 *
 * @publicApi
 */
export function missingEventFields(event: SecurityEvent): string[] {
  const spec = (SECURITY_EVENT_CATALOG as Record<string, SecurityEventSpec>)[event.type];
  if (!spec) return ['unknown type'];
  const missing: string[] = [];
  if (!spec.outcomes.includes(event.outcome)) missing.push(`outcome ${event.outcome}`);
  for (const field of spec.fields) if (event[field] === undefined || event[field] === '') missing.push(field);
  for (const field of spec.details) if (event.details?.[field] === undefined) missing.push(`details.${field}`);
  return missing;
}

/** Every event type, in catalog order. @internal */
export const ALL_EVENT_TYPES = Object.keys(SECURITY_EVENT_CATALOG) as SecurityEventType[];
