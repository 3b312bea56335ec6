import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import { getRequest } from '../core/context/get-request';
import { rawRequest } from '../core/context/request-state';
import { SecurityStorage } from '../storage/security-storage.interface';

/**
 * Event ids recorded by the guard for the request in flight, keyed by the raw Node request.
 *
 * @internal
 */
export const PENDING_WEBHOOK_IDS = new WeakMap<object, string>();

/**
 * Forgets a webhook's event id when the handler fails, so the sender's retry (same
 * `webhook-id`, Stripe event id or GitHub delivery) is accepted instead of refused as a replay.
 * Only successful deliveries stay recorded. Routes without `@VerifyWebhook()` cost one WeakMap read.
 *
 * @publicApi
 */
@Injectable()
export class WebhookReplayInterceptor implements NestInterceptor {
  constructor(@Inject(SecurityStorage) private readonly storage: SecurityStorage) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const raw = rawRequest(getRequest(ctx));
    const key = PENDING_WEBHOOK_IDS.get(raw);
    if (key === undefined) return next.handle();
    PENDING_WEBHOOK_IDS.delete(raw);
    return next.handle().pipe(
      catchError((error: unknown) => {
        // Best effort: if the store is down the id simply expires with its ttl.
        this.storage.delete(key).catch(() => undefined);
        return throwError(() => error);
      }),
    );
  }
}
