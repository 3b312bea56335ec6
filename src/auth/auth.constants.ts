/** Metadata key written by `@Auth()`. @publicApi */
export const AUTH_METHODS_KEY = 'security:auth-methods';
/** Metadata key written by `@Scopes()`. @publicApi */
export const SCOPES_KEY = 'security:scopes';
