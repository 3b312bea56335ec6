import type { PolicySet } from './policy-set.util';

/**
 * What the IP guard decides on each Fastify route, learned from the guard itself, so that the edge
 * IP limit can decide the route's policies in its own storage call (`EDGE_THEN_WINDOW`: the edge
 * key alone first, then the route's keys only if the edge admits, atomically): one Redis round trip
 * per request where there were two. Only with a shared store: on the memory store both decisions
 * are synchronous, and there is no round trip to save.
 *
 * - Fastify routes before its `onRequest` hook: a route is known there by its route context
 *   (`request.routeOptions.config`, one object per registered route, so per version constraint
 *   and per automatic HEAD route). Express's edge runs before routing and never plans.
 * - A route is learned when the stock IP guard runs on it (its first request is decided as
 *   before). Should two policy sets ever be seen on one route, it is never planned again.
 * - Preflights (OPTIONS) are never planned: the CORS step answers them.
 * - The edge never decides less than before: its own key is decided first, on every request. The
 *   guard takes the edge's reply only when it is for the same policy set and key prefix it would
 *   use itself, and decides by itself otherwise. A request the edge decided that ends before the
 *   guard (a CORS or payload refusal, a middleware that answers, a client that goes away) has
 *   counted in the route's policies too: over-counting, never under-counting.
 *
 * @internal
 */
export class EdgeRoutePlans {
  /** Route context → the IP guard's policy set there, `'none'` (no IP policy) or `'ambiguous'`. */
  private readonly routes = new WeakMap<object, PolicySet | 'none' | 'ambiguous'>();

  /** The IP guard's policy set on a route, when one is known. */
  planFor(method: string | undefined, route: object | undefined): PolicySet | undefined {
    if (route === undefined || method === 'OPTIONS') return undefined;
    const known = this.routes.get(route);
    return typeof known === 'object' ? known : undefined;
  }

  /**
   * Records what the IP guard decides on the request's Fastify route (`set`, null when the route
   * has no IP policy). A request without a Fastify route (Express) teaches nothing.
   */
  learn(req: { method?: string; routeOptions?: { config?: unknown } }, set: PolicySet | null): void {
    if (req.method === 'OPTIONS') return;
    const route = req.routeOptions?.config;
    if (typeof route !== 'object' || route === null) return;
    const known = this.routes.get(route);
    if (known === undefined) this.routes.set(route, set ?? 'none');
    else if (known !== 'ambiguous' && known !== (set ?? 'none')) this.routes.set(route, 'ambiguous');
  }
}
