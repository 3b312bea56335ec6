import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import { getRequest } from '../core/context/get-request';
import { getSecurityState } from '../core/context/request-state';
import { SecurityStorage } from '../storage/security-storage.interface';

/**
 * Forgets a webhook's event id when the handler fails, so the sender's retry (same
 * `webhook-id`, Stripe event id or GitHub delivery) is accepted instead of refused as a replay.
 * Only successful deliveries stay recorded. The guard leaves the id in the request's security state;
 * routes without `@VerifyWebhook()` cost one property read.
 *
 * @publicApi
 */
@Injectable()
export class WebhookReplayInterceptor implements NestInterceptor {
  constructor(@Inject(SecurityStorage) private readonly storage: SecurityStorage) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const state = getSecurityState(getRequest(ctx));
    const key = state.pendingWebhookId;
    if (key === undefined) return next.handle();
    state.pendingWebhookId = undefined;
    return next.handle().pipe(
      catchError((error: unknown) => {
        // Best effort: if the store is down the id simply expires with its ttl.
        this.storage.delete(key).catch(() => undefined);
        return throwError(() => error);
      }),
    );
  }
}
