/** Metadata key written by `@Signed()`. @publicApi */
export const SIGNED_KEY = 'security:signed';
/** Metadata key written by `@VerifyWebhook()`. @publicApi */
export const WEBHOOK_KEY = 'security:webhook';
/** Generic client message for every signature refusal (the reason goes to events only). @internal */
export const INVALID_SIGNATURE_MESSAGE = 'Invalid request signature';
