import type { EdgeHandler, EdgeRequest, EdgeResponse } from './edge-handler.interface';
import { runEdge } from './edge-handler.interface';

/** An Express-style middleware function. @internal */
export type EdgeMiddleware = (req: EdgeRequest, res: EdgeResponse, next: (error?: unknown) => void) => void;

/**
 * The one middleware SecurityModule installs in front of every request on Express. It runs the
 * edge steps in their fixed order and stops as soon as one has answered (a preflight, an HTTPS
 * redirect...). One middleware instead of four keeps the per-request cost to a single hop.
 *
 * @internal
 */
export function securityEdgeMiddleware(handlers: readonly EdgeHandler[]): EdgeMiddleware {
  return function rampartSecurityEdge(req, res, next) {
    let answered: boolean | Promise<boolean>;
    try {
      answered = runEdge(handlers, req, res);
    } catch (error) {
      next(error);
      return;
    }
    if (answered === true) return;
    if (answered === false) next();
    else answered.then((done) => (done ? undefined : next()), next);
  };
}
