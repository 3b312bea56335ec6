import { SetMetadata } from '@nestjs/common';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { WEBHOOK_KEY } from './signing.constants';
import { compileWebhook, type WebhookScheme } from './webhook-schemes';

/** Per-route webhook settings. @publicApi */
export interface VerifyWebhookOptions {
  /**
   * The endpoint secret, several during rotation (any may match), or a function returning them
   * (read once, on the first request: for secrets loaded after the class is defined).
   */
  secret: string | readonly string[] | (() => string | readonly string[]);
  /**
   * Clock tolerance for timestamped schemes, in both directions.
   * @default signing.webhooks.toleranceSeconds (300)
   */
  toleranceSeconds?: number;
  /**
   * Refuses an event id seen before (`webhook-id`, Stripe event id, `X-GitHub-Delivery`).
   * @default true
   */
  replayProtection?: boolean;
}

/** Metadata stored by `@VerifyWebhook()`. @internal */
export interface WebhookMetadata extends VerifyWebhookOptions {
  scheme: WebhookScheme;
}

const SCHEMES: readonly WebhookScheme[] = ['standard', 'stripe', 'github'];

/**
 * Verifies an inbound webhook before the handler runs: Standard Webhooks (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature: v1,…`, or Svix's `svix-*` names), Stripe (`Stripe-Signature: t=…,v1=…`) or
 * GitHub (`X-Hub-Signature-256: sha256=…`), against the raw body. Failures get 401
 * `INVALID_SIGNATURE`; combine with `@Public()` when the route has no other authentication.
 *
 * @example
 * ```ts
 * @Public()
 * @VerifyWebhook('stripe', { secret: process.env.STRIPE_WEBHOOK_SECRET! })
 * @Post('stripe')
 * stripe(@Body() event: StripeEvent) {}
 * ```
 * @publicApi
 */
export const VerifyWebhook = (
  scheme: WebhookScheme,
  options: VerifyWebhookOptions,
): MethodDecorator & ClassDecorator => {
  if (!SCHEMES.includes(scheme)) {
    throw SecurityConfigError.create(
      '@VerifyWebhook()',
      `has unknown scheme "${String(scheme)}"`,
      'Use "standard", "stripe" or "github"',
    );
  }
  const tolerance = options?.toleranceSeconds;
  if (tolerance !== undefined && (!Number.isInteger(tolerance) || tolerance < 1 || tolerance > 3600)) {
    throw SecurityConfigError.create(
      '@VerifyWebhook() toleranceSeconds',
      `must be a whole number from 1 to 3600, got ${String(tolerance)}`,
      'Use e.g. 300',
    );
  }
  // Fail at boot, not on the first delivery: a secret read from an unset env var is undefined here.
  if (typeof options?.secret !== 'function') compileWebhook(scheme, options?.secret, 60, `@VerifyWebhook('${scheme}')`);
  const meta: WebhookMetadata = { ...options, scheme };
  return SetMetadata(WEBHOOK_KEY, meta);
};
