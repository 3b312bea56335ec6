export { Signed } from './signed.decorator';
export { VerifyWebhook, type VerifyWebhookOptions } from './verify-webhook.decorator';
export { RequestSignatureGuard } from './request-signature.guard';
export { signRequest, type SignRequestInput, type SignedRequestHeaders } from './sign-request';
export { canonicalRequestString, SIGNATURE_SCHEME, type CanonicalRequestParts } from './canonical-request.util';
export { signWebhook, type SignWebhookInput, type WebhookScheme } from './webhook-schemes';
export { SIGNED_KEY, WEBHOOK_KEY } from './signing.constants';
export { WebhookReplayInterceptor } from './webhook-replay.interceptor';
