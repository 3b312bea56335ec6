import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { EDGE_HANDLERS } from '../internal.constants';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from './edge-handler.interface';

/**
 * The one middleware SecurityModule installs on every route. It runs the edge steps in their
 * fixed order and stops as soon as one has answered (a preflight, an HTTPS redirect...).
 * One middleware instead of four keeps the per-request cost to a single hop on both adapters.
 *
 * @internal
 */
@Injectable()
export class SecurityEdgeMiddleware implements NestMiddleware {
  constructor(@Inject(EDGE_HANDLERS) private readonly handlers: readonly EdgeHandler[]) {}

  use(req: EdgeRequest, res: EdgeResponse, next: (error?: unknown) => void): void {
    try {
      for (const handler of this.handlers) {
        if (handler.handle(req, res)) return;
      }
    } catch (error) {
      next(error);
      return;
    }
    next();
  }
}
