import type { PolicySet } from './policy-set.util';

/** The IP guard's policies on one Fastify route, as the edge IP limit decides them. @internal */
export interface EdgeRoutePlan {
  /** The guard's compiled set for the route: the guard takes the edge's decision for this very object only. */
  readonly set: PolicySet;
  /** `EDGE_THEN_WINDOW`'s ARGV (the edge set's, then four per route key), built by the edge on first use. */
  args?: string[];
}

/** More distinct routes than this are not learned (they keep two storage calls). */
const MAX_ROUTES = 4_096;

/**
 * What the IP guard decides on each Fastify route, learned from the guard itself, so that the edge
 * IP limit can decide the route's policies in its own storage call (`EDGE_THEN_WINDOW`: the edge
 * key alone first, then the route's keys only if the edge admits, atomically): one Redis round trip
 * per request where there were two.
 *
 * - Fastify routes before its `onRequest` hook, so the edge knows the route's method and template;
 *   Express's edge runs before routing and never uses a plan.
 * - A route is learned when the IP guard runs on it (the first request of each route is decided
 *   as before). Two handlers behind one Fastify route (version or host constraints) make it
 *   ambiguous for good: the edge decides only its own key there.
 * - The edge never decides less than before: its own key is decided first, on every request. The
 *   guard takes the edge's reply only when it is for the same policy set and key prefix it would
 *   use itself, and decides by itself otherwise. A request the edge decided that ends before the
 *   guard (a CORS or payload refusal, a middleware that answers, a client that goes away) has
 *   counted in the route's policies too: over-counting, never under-counting.
 *
 * @internal
 */
export class EdgeRoutePlans {
  /** `METHOD template` → the route's plan, `'none'` (no IP policy) or `'ambiguous'`. */
  private readonly routes = new Map<string, EdgeRoutePlan | 'none' | 'ambiguous'>();

  /** The plan of a route, when one handler with IP policies is known behind it. */
  planFor(method: string | undefined, route: string): EdgeRoutePlan | undefined {
    const known = this.routes.get(`${method} ${route}`);
    return typeof known === 'object' ? known : undefined;
  }

  /**
   * Records what the IP guard decides on the request's Fastify route (`set`, null when the route
   * has no IP policy). A request without a Fastify route (Express) teaches nothing.
   */
  learn(req: { method?: string; routeOptions?: { url?: string } }, set: PolicySet | null): void {
    const route = req.routeOptions?.url;
    if (route === undefined) return;
    const key = `${req.method} ${route}`;
    const known = this.routes.get(key);
    if (known === undefined) {
      if (this.routes.size < MAX_ROUTES) this.routes.set(key, set ? { set } : 'none');
    } else if (known !== 'ambiguous' && (known === 'none' ? set !== null : known.set !== set)) {
      this.routes.set(key, 'ambiguous');
    }
  }
}
