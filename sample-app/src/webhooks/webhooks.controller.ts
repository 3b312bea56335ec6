import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Public, VerifyWebhook } from 'nestjs-rampart';
import { webhookSecret } from '../edge/edge.options';

/** Development defaults (never used in production): the schemes' documented example secrets. */
const DEV_STANDARD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const DEV_STRIPE = 'whsec_sample_stripe_endpoint_secret';
const DEV_GITHUB = "It's a Secret to Everybody";

/**
 * Inbound webhooks. Each route verifies the sender's signature against the raw body (the app is
 * created with `{ rawBody: true }`), refuses stale timestamps and replayed event ids, and only
 * then runs. `@Public()`: the signature is the authentication.
 */
@Public()
@Controller('webhooks')
export class WebhooksController {
  /** Standard Webhooks sender (Svix, Clerk, Resend...). Secret: `STANDARD_WEBHOOK_SECRET`. */
  @VerifyWebhook('standard', { secret: webhookSecret('STANDARD_WEBHOOK_SECRET', DEV_STANDARD) })
  @Post('standard')
  @HttpCode(204)
  standard(@Body() _event: unknown): void {}

  /** Stripe. Secret: `STRIPE_WEBHOOK_SECRET` (`whsec_…` from the dashboard or `stripe listen`). */
  @VerifyWebhook('stripe', { secret: webhookSecret('STRIPE_WEBHOOK_SECRET', DEV_STRIPE) })
  @Post('stripe')
  stripe(@Body() event: { id?: string; type?: string }): { received: string | undefined } {
    return { received: event.type };
  }

  /** GitHub. Secret: `GITHUB_WEBHOOK_SECRET`. */
  @VerifyWebhook('github', { secret: webhookSecret('GITHUB_WEBHOOK_SECRET', DEV_GITHUB) })
  @Post('github')
  @HttpCode(204)
  github(@Body() _payload: unknown): void {}
}
