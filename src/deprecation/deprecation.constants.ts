/** Metadata key written by `@Deprecated()`. @publicApi */
export const DEPRECATED_KEY = 'security:deprecated';
