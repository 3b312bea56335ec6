import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { ResponseBodyFilter } from '../core/context/pending-response-filter.util';
import { RoutePlanCache, type RoutePlanSlot } from '../core/context/route-plan.cache';
import { SecurityEvents } from '../core/events/security-events.service';
import { SECURITY_OPTIONS } from '../core/security.constants';
import type { ResponseFilteringFeatureOptions } from './response-filtering.options';
import { ResponseFilterCompiler } from './route-response-filter.util';

/**
 * The response filter of each route (controller class and handler), compiled once and warmed at
 * boot: the base of the filtering guard and of `ResponseFilterInterceptor`.
 *
 * @internal
 */
@Injectable()
export abstract class RouteResponseFilters implements OnModuleInit {
  protected readonly plans: RoutePlanSlot<ResponseBodyFilter | null>;

  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: ResponseFilteringFeatureOptions,
    reflector: Reflector,
    events: SecurityEvents,
    private readonly modules: ModulesContainer,
    routePlans: RoutePlanCache,
  ) {
    const compiler = new ResponseFilterCompiler(options, reflector, events);
    this.plans = routePlans.slot((cls, handler) => compiler.compile(cls, handler));
  }

  /** Loads class-transformer at boot when a controller uses `@Serialize()`, and warms the plans. */
  onModuleInit(): void {
    if (!this.options.responseFiltering.enabled) return;
    ResponseFilterCompiler.forEachRoute(this.modules, (cls, handler) => this.plans.get(cls, handler));
  }
}
