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
  FORBIDDEN: () => 'You do not have permission to perform this action',
  NOT_FOUND: () => 'Resource not found',
  RATE_LIMITED: () => 'Too many requests, please retry later',
  STORAGE_UNAVAILABLE: () => 'Service temporarily unavailable, please retry',
  PIPELINE_ORDER: (stage: string) => `Security pipeline misconfigured: ${stage} ran before authentication`,
} as const;
