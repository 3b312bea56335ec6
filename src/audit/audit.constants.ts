/** Metadata key written by `@Audit()`. @publicApi */
export const AUDIT_KEY = 'security:audit';
