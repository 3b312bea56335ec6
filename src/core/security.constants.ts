/**
 * Injection token of the resolved, validated and frozen {@link ResolvedSecurityOptions}.
 * Inject it with `@InjectSecurityOptions()`.
 *
 * @publicApi
 */
export const SECURITY_OPTIONS = 'SECURITY:OPTIONS';

/** Metadata key written by `@Public()`. @publicApi */
export const PUBLIC_KEY = 'security:public';
