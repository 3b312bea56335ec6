/**
 * Client-facing message texts, in one place so they stay generic and stable.
 * Precise reasons go to security events, never to clients.
 *
 * @internal
 */
export const Messages = {
  INTERNAL_ERROR: () => 'Internal server error',
  AUTHENTICATION_REQUIRED: () => 'Authentication required',
  INVALID_TOKEN: () => 'Invalid or expired token',
  INVALID_API_KEY: () => 'Invalid or expired API key',
  RECENT_LOGIN_REQUIRED: (maxAgeSec: number) =>
    `Log in again to do this: it needs a login from the last ${maxAgeSec >= 120 ? `${Math.floor(maxAgeSec / 60)} minutes` : `${maxAgeSec} seconds`}`,
  MFA_REQUIRED: () => 'Confirm with a second factor to do this',
  MFA_MALFORMED_CODE: (digits: number) => `The code must be ${digits} digits`,
  MFA_INVALID_CODE: () => 'Invalid or expired code',
  MFA_CODE_REPLAYED: () => 'This code was used already: wait for the next one',
  MFA_TOO_MANY_ATTEMPTS: () => 'Too many codes tried, please retry later',
  AMBIGUOUS_CREDENTIALS: () =>
    'Send exactly one credential: this request carries several (repeated Authorization or API-key headers, or a bearer token and an API key)',
  FORBIDDEN: () => 'You do not have permission to perform this action',
  CSRF_TOKEN_MISSING: (header: string) => `Missing CSRF token: send the session's CSRF token in the ${header} header`,
  CSRF_TOKEN_INVALID: () => 'Invalid CSRF token',
  NOT_FOUND: () => 'Resource not found',
  MALFORMED_BODY: () => 'Malformed request body',
  MALFORMED_URL: () => 'Malformed request URL',
  PAYLOAD_TOO_LARGE: () => 'Request body is too large',
  UNSUPPORTED_MEDIA_TYPE: () => 'Unsupported Content-Type',
  BODY_TIMEOUT: () => 'Request body not received in time',
  RATE_LIMITED: () => 'Too many requests, please retry later',
  STORAGE_UNAVAILABLE: () => 'Service temporarily unavailable, please retry',
  PIPELINE_ORDER: (stage: string) => `Security pipeline misconfigured: ${stage} ran before authentication`,
} as const;
