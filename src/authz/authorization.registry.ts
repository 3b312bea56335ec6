import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../core/context/route-plan.cache';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { AuthorizationFeatureOptions } from './authorization.options';
import type { ResourceLoader } from './authorization.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { OWNS_KEY, PERMISSIONS_KEY, POLICIES_KEY, ROLES_KEY, SECURITY_RESOURCE_KEY } from './authorization.constants';

const WORD_CHAR = /\w/;

/** Whether a route path has `:param` (also `:param?` or `:param(regex)`). */
function hasParam(route: string, param: string): boolean {
  const token = `:${param}`;
  return route.split('/').some((segment) => segment.startsWith(token) && !WORD_CHAR.test(segment.charAt(token.length)));
}
const RULE_KEYS = [ROLES_KEY, PERMISSIONS_KEY, OWNS_KEY, POLICIES_KEY];
import { compileRouteRules, type RouteRules } from './route-rules';

/**
 * Holds the resource loaders (from `authorization.resources` and `@SecurityResource()`
 * providers) and each route's compiled rules (per controller class and handler). At boot it validates every controller method's
 * `@Roles()`, `@Owns()` and `@Policy()` so an unknown role, resource type or policy stops the app
 * from starting.
 *
 * @internal
 */
@Injectable()
export class AuthorizationRegistry implements OnModuleInit {
  private readonly loaders: Map<string, ResourceLoader>;
  private readonly logger = new Logger('SecurityModule');
  private readonly rules: RoutePlanSlot<RouteRules>;

  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: AuthorizationFeatureOptions,
    private readonly reflector: Reflector,
    private readonly modules: ModulesContainer,
    routePlans: RoutePlanCache,
  ) {
    this.loaders = new Map(options.authorization.resources);
    this.rules = routePlans.slot((cls, handler) =>
      compileRouteRules(this.reflector, cls, handler, this.options.authorization, (t) => this.loaders.get(t)),
    );
  }

  onModuleInit(): void {
    const discovery = new DiscoveryService(this.modules);
    if (!this.options.authorization.enabled) {
      this.warnIfRulesIgnored(discovery);
      return;
    }
    this.discoverLoaders(discovery);
    this.eachControllerMethod(discovery, (cls, handler) => {
      const rules = this.rulesFor(cls, handler);
      this.checkRouteParams(cls, handler, rules);
    });
  }

  /** The loader of a resource type. */
  loader(type: string): ResourceLoader | undefined {
    return this.loaders.get(type);
  }

  /** The compiled rules of `handler` as a route of `cls` (computed on first use, then cached). */
  rulesFor(cls: RouteClass, handler: RouteHandler): RouteRules {
    return this.rules.get(cls, handler);
  }

  private discoverLoaders(discovery: DiscoveryService): void {
    const seen = new Set<unknown>();
    for (const wrapper of discovery.getProviders()) {
      const type = wrapper.metatype
        ? (Reflect.getMetadata(SECURITY_RESOURCE_KEY, wrapper.metatype) as unknown)
        : undefined;
      if (typeof type !== 'string' || seen.has(wrapper.metatype)) continue;
      seen.add(wrapper.metatype);
      const at = `@SecurityResource('${type}') on ${wrapper.name as string}`;
      const instance = wrapper.instance as Partial<ResourceLoader> | undefined;
      if (!wrapper.isDependencyTreeStatic() || typeof instance?.load !== 'function') {
        throw SecurityConfigError.create(
          at,
          'is not a singleton provider with a load(id, ctx) method',
          'Implement ResourceLoader and keep the provider (and its dependencies) in the default scope',
        );
      }
      if (this.loaders.has(type)) {
        throw SecurityConfigError.create(
          at,
          `registers "${type}", which already has a loader`,
          'Keep one loader per resource type (authorization.resources or one @SecurityResource provider)',
        );
      }
      this.loaders.set(type, instance as ResourceLoader);
    }
  }

  /** Calls `visit` for every method of every controller. */
  private eachControllerMethod(discovery: DiscoveryService, visit: (cls: RouteClass, handler: RouteHandler) => void) {
    const scanner = new MetadataScanner();
    for (const wrapper of discovery.getControllers()) {
      const cls = wrapper.metatype as RouteClass | undefined;
      if (!cls?.prototype) continue;
      for (const name of scanner.getAllMethodNames(cls.prototype)) {
        const handler = (cls.prototype as Record<string, unknown>)[name];
        if (typeof handler === 'function') visit(cls, handler);
      }
    }
  }

  /** A rule reading `:param` on a route without that parameter would 500 on every call: refuse at boot. */
  private checkRouteParams(cls: RouteClass, handler: RouteHandler, rules: RouteRules): void {
    const paths = [Reflect.getMetadata(PATH_METADATA, cls), Reflect.getMetadata(PATH_METADATA, handler)] as unknown[];
    if (paths[1] === undefined) return; // not a route handler
    const route = paths
      .flat()
      .filter((p) => typeof p === 'string')
      .join('/');
    const needed = [...rules.owns, ...rules.policies.filter((p) => p.loader)];
    for (const rule of needed) {
      if (!hasParam(route, rule.param)) {
        throw SecurityConfigError.create(
          `@${rule.rule.startsWith('owns') ? 'Owns' : 'Policy'}() on ${cls.name}.${handler.name}`,
          `reads the route parameter "${rule.param}", which the route "${route}" does not have`,
          `Set { param: '<name>' } to one of the route's parameters`,
        );
      }
    }
  }

  /** Disabled authorization with rules declared: they are not enforced, so say it loudly once. */
  private warnIfRulesIgnored(discovery: DiscoveryService): void {
    let count = 0;
    this.eachControllerMethod(discovery, (cls, handler) => {
      if (RULE_KEYS.some((key) => Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, cls))) count++;
    });
    if (count > 0) {
      this.logger.warn(
        `authorization.enabled is false: the @Roles/@Permissions/@Owns/@Policy rules of ${count} route(s) are NOT enforced`,
      );
    }
  }
}
