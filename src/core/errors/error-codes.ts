/**
 * Stable machine-readable codes carried in every error body as `code`. Clients may switch on
 * these; they never change meaning between releases.
 *
 * @publicApi
 */
export const SecurityErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  /** The body could not be parsed (malformed JSON, form or multipart). */
  MALFORMED_BODY: 'MALFORMED_BODY',
  /** The body did not arrive within `validation.bodyTimeoutMs` (408). */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  AUTHENTICATION_REQUIRED: 'AUTHENTICATION_REQUIRED',
  INVALID_TOKEN: 'INVALID_TOKEN',
  INVALID_API_KEY: 'INVALID_API_KEY',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  API_KEY_IN_QUERY: 'API_KEY_IN_QUERY',
  AMBIGUOUS_CREDENTIALS: 'AMBIGUOUS_CREDENTIALS',
  RECENT_LOGIN_REQUIRED: 'RECENT_LOGIN_REQUIRED',
  /** The route needs a recent multi-factor step-up (`@RequireMfa()`, 401 with a `WWW-Authenticate` challenge). */
  MFA_REQUIRED: 'MFA_REQUIRED',
  /** A one-time code is not the configured number of digits (400). */
  MFA_MALFORMED_CODE: 'MFA_MALFORMED_CODE',
  /** A one-time code is wrong or expired (401). */
  MFA_INVALID_CODE: 'MFA_INVALID_CODE',
  /** A one-time code (or an earlier one) was accepted already (401). */
  MFA_CODE_REPLAYED: 'MFA_CODE_REPLAYED',
  /** Too many one-time code attempts for this user (429). */
  MFA_TOO_MANY_ATTEMPTS: 'MFA_TOO_MANY_ATTEMPTS',
  INSUFFICIENT_SCOPE: 'INSUFFICIENT_SCOPE',
  /** A cookie-authenticated write (any method but GET/HEAD/OPTIONS/TRACE) without the CSRF header (403). */
  CSRF_TOKEN_MISSING: 'CSRF_TOKEN_MISSING',
  /** A CSRF header that does not match the CSRF cookie or the session (403). */
  CSRF_TOKEN_INVALID: 'CSRF_TOKEN_INVALID',
  FORBIDDEN: 'FORBIDDEN',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  GONE: 'GONE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  QUERY_TOO_LONG: 'QUERY_TOO_LONG',
  TOO_MANY_QUERY_PARAMETERS: 'TOO_MANY_QUERY_PARAMETERS',
  RATE_LIMITED: 'RATE_LIMITED',
  IDEMPOTENCY_KEY_MISSING: 'IDEMPOTENCY_KEY_MISSING',
  IDEMPOTENCY_KEY_INVALID: 'IDEMPOTENCY_KEY_INVALID',
  IDEMPOTENCY_KEY_MISMATCH: 'IDEMPOTENCY_KEY_MISMATCH',
  IDEMPOTENCY_IN_FLIGHT: 'IDEMPOTENCY_IN_FLIGHT',
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',
  HTTPS_REQUIRED: 'HTTPS_REQUIRED',
  CORS_ORIGIN_DENIED: 'CORS_ORIGIN_DENIED',
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;

/** @publicApi */
export type SecurityErrorCode = (typeof SecurityErrorCode)[keyof typeof SecurityErrorCode];

/** The code used when an HttpException carries none of its own. @internal */
export function defaultCodeForStatus(status: number): SecurityErrorCode {
  switch (status) {
    case 400:
      return SecurityErrorCode.BAD_REQUEST;
    case 401:
      return SecurityErrorCode.AUTHENTICATION_REQUIRED;
    case 403:
      return SecurityErrorCode.FORBIDDEN;
    case 404:
      return SecurityErrorCode.NOT_FOUND;
    case 405:
      return SecurityErrorCode.METHOD_NOT_ALLOWED;
    case 408:
      return SecurityErrorCode.REQUEST_TIMEOUT;
    case 409:
      return SecurityErrorCode.CONFLICT;
    case 410:
      return SecurityErrorCode.GONE;
    case 413:
      return SecurityErrorCode.PAYLOAD_TOO_LARGE;
    case 415:
      return SecurityErrorCode.UNSUPPORTED_MEDIA_TYPE;
    case 422:
      return SecurityErrorCode.VALIDATION_FAILED;
    case 429:
      return SecurityErrorCode.RATE_LIMITED;
    case 503:
      return SecurityErrorCode.SERVICE_UNAVAILABLE;
    default:
      return status >= 500 ? SecurityErrorCode.INTERNAL_ERROR : SecurityErrorCode.BAD_REQUEST;
  }
}
