/** Metadata key written by `@SecurityHeaders()`. @publicApi */
export const SECURITY_HEADERS_KEY = 'security:headers';
