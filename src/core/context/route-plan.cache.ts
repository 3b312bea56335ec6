import { type ExecutionContext, Injectable, type Type } from '@nestjs/common';

/** A controller class (or GraphQL resolver): what `ExecutionContext.getClass()` returns. @internal */
export type RouteClass = Type;
/** A route handler method: what `ExecutionContext.getHandler()` returns. @internal */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type RouteHandler = Function;

/**
 * What a guard computes for one route. `undefined` is not a plan: use `null` for "nothing to do",
 * so a computed answer is never mistaken for a missing one.
 *
 * @internal
 */
export type RoutePlan = NonNullable<unknown> | null;

/** Computes one feature's plan for one route, from its metadata. @internal */
export type RoutePlanCompiler<T extends RoutePlan> = (cls: RouteClass, handler: RouteHandler) => T;

/**
 * The per-route state of the whole pipeline, computed once per route: one entry per
 * (controller class, handler), with one slot per feature.
 *
 * Keyed by the class AND the handler, never by the handler alone: a method a generic base
 * controller declares is the same function object in every subclass, and each subclass may carry
 * different class-level decorators (`@Signed()`, `@Roles()`, `@Idempotent()`...). Keyed by the
 * handler alone, the first subclass called would decide for all of them.
 *
 * The state belongs to this provider instance (one per application), held in WeakMaps so classes
 * and handlers of a closed application can be collected. Every guard, interceptor or pipe that
 * caches anything per route takes a {@link RoutePlanSlot} of its own from here:
 *
 * ```ts
 * private readonly plans = this.routePlans.slot((cls, handler) => this.compile(cls, handler));
 * canActivate(ctx) { const plan = this.plans.of(ctx); ... }
 * ```
 *
 * @internal
 */
@Injectable()
export class RoutePlanCache {
  private readonly routes: RouteTable = new WeakMap();
  private slots = 0;

  /**
   * A slot of its own for one feature's plans, computed by `compile` on a route's first request
   * (or first lookup) and then served from the cache.
   */
  slot<T extends RoutePlan>(compile: RoutePlanCompiler<T>): RoutePlanSlot<T> {
    return new RoutePlanSlot<T>(this.routes, this.slots++, compile);
  }
}

/** class → handler → plans by slot index. @internal */
type RouteTable = WeakMap<RouteClass, WeakMap<RouteHandler, RoutePlan[]>>;

/**
 * One feature's view of the {@link RoutePlanCache}: its plan for each (controller class, handler).
 *
 * @internal
 */
export class RoutePlanSlot<T extends RoutePlan> {
  /** @internal use {@link RoutePlanCache.slot} */
  constructor(
    private readonly routes: RouteTable,
    private readonly index: number,
    private readonly compile: RoutePlanCompiler<T>,
  ) {}

  /** The plan of the route a request is on. */
  of(ctx: ExecutionContext): T {
    return this.get(ctx.getClass(), ctx.getHandler());
  }

  /** The plan of `handler` as a route of `cls` (also used at boot, to check or warm every route). */
  get(cls: RouteClass, handler: RouteHandler): T {
    // Every request of every guard passes here: two map reads and an index, nothing allocated.
    const cached = this.routes.get(cls)?.get(handler)?.[this.index];
    return cached !== undefined ? (cached as T) : this.fill(cls, handler);
  }

  private fill(cls: RouteClass, handler: RouteHandler): T {
    let byHandler = this.routes.get(cls);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.routes.set(cls, byHandler);
    }
    let entry = byHandler.get(handler);
    if (entry === undefined) {
      entry = [];
      byHandler.set(handler, entry);
    }
    const plan = this.compile(cls, handler);
    // Stored only once computed: a compiler that throws leaves nothing behind and runs again.
    entry[this.index] = plan;
    return plan;
  }
}
