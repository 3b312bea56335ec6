import type { CallHandler, CanActivate, NestInterceptor, PipeTransform } from '@nestjs/common';
import type { Observable } from 'rxjs';

/** A disabled guard: lets the next stage decide. @internal */
export const NOOP_GUARD: CanActivate = { canActivate: () => true };
/** A disabled interceptor. @internal */
export const NOOP_INTERCEPTOR: NestInterceptor = {
  intercept: (_ctx, next: CallHandler): Observable<unknown> => next.handle(),
};
/** A disabled pipe. @internal */
export const NOOP_PIPE: PipeTransform = { transform: (value: unknown) => value };
