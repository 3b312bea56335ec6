/**
 * Injection token of the resolved, validated and frozen options. Internal: the app reads the
 * configuration through `SecuritySettings`.
 *
 * @internal
 */
export const SECURITY_OPTIONS = 'SECURITY:OPTIONS';

/** Metadata key written by `@Public()`. @publicApi */
export const PUBLIC_KEY = 'security:public';
