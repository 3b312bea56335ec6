export { Idempotent } from './idempotent.decorator';
export { IdempotencyInterceptor } from './idempotency.interceptor';
export { IDEMPOTENT_KEY, IDEMPOTENT_REPLAYED_HEADER } from './idempotency.constants';
