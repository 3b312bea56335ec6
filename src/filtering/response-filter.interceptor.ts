import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { getRequest } from '../core/context/get-request';
import { getPrincipal } from '../core/context/request-state';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../core/context/route-plan.cache';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SecurityEventType } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import { normalizeFieldName } from './response-filtering.options';
import type { ResponseFilteringFeatureOptions } from './response-filtering.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { loadClassTransformer, type ClassTransformerApi } from './class-transformer.loader';
import { ALLOW_SENSITIVE_FIELDS_KEY, SERIALIZE_KEY, type SerializeMetadata } from './filtering.constants';
import { SensitiveFieldStripper } from './sensitive-fields.util';

/** What one route (controller class and handler) needs, computed once. */
interface FilterPlan {
  stripper: SensitiveFieldStripper | undefined;
  serialize: SerializeMetadata | undefined;
}

const GROUP_CACHE_LIMIT = 1_000;

/**
 * Filters every JSON (object or array) response of HTTP routes and every object a GraphQL query or
 * mutation resolver returns: `@Serialize(Dto)` keeps only the
 * exposed fields (role-based groups included), then the sensitive-field denylist strips fields
 * such as `password` or `refreshToken` at any depth, except those a route allows with
 * `@AllowSensitiveFields()`. Strings, buffers, streams and `StreamableFile` pass through
 * untouched; a response with nothing to strip is not copied.
 *
 * @throws {InternalServerErrorException} a response too deep (or cyclic) to filter, or a DTO that fails to transform (500)
 * @publicApi
 */
@Injectable()
export class ResponseFilterInterceptor implements NestInterceptor, OnModuleInit {
  private readonly plans: RoutePlanSlot<FilterPlan>;
  private readonly groupsByRoles = new Map<string, string[]>();
  private readonly defaultStripper: SensitiveFieldStripper;
  private transformer: ClassTransformerApi | undefined;

  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: ResponseFilteringFeatureOptions,
    private readonly reflector: Reflector,
    private readonly events: SecurityEvents,
    private readonly modules: ModulesContainer,
    routePlans: RoutePlanCache,
  ) {
    const { denylist, maxDepth } = options.responseFiltering;
    this.defaultStripper = new SensitiveFieldStripper(denylist, maxDepth);
    this.plans = routePlans.slot((cls, handler) => this.compile(cls, handler));
  }

  /** Loads class-transformer at boot when a controller uses `@Serialize()`, and warms the plans. */
  onModuleInit(): void {
    if (!this.options.responseFiltering.enabled) return;
    const scanner = new MetadataScanner();
    for (const wrapper of new DiscoveryService(this.modules).getControllers()) {
      const cls = wrapper.metatype as RouteClass | undefined;
      if (!cls?.prototype) continue;
      for (const name of scanner.getAllMethodNames(cls.prototype)) {
        const handler = (cls.prototype as Record<string, unknown>)[name];
        if (typeof handler === 'function') this.plans.get(cls, handler);
      }
    }
  }

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = ctx.getType<string>();
    // GraphQL: what a resolver returns (a field the schema declares with a denylisted name reads null).
    if (type !== 'http' && type !== 'graphql') return next.handle();
    const plan = this.plans.of(ctx);
    if (!plan.stripper && !plan.serialize) return next.handle();
    return next.handle().pipe(map((body: unknown) => this.filter(body, plan, ctx)));
  }

  private filter(body: unknown, plan: FilterPlan, ctx: ExecutionContext): unknown {
    if (body === null || typeof body !== 'object') return body;
    try {
      const shaped = plan.serialize ? this.serialize(body, plan.serialize, ctx) : body;
      return plan.stripper ? plan.stripper.strip(shaped) : shaped;
    } catch (error) {
      const request = getRequest(ctx);
      this.events.emit({
        type: SecurityEventType.INTERNAL_ERROR,
        outcome: 'failure',
        reason: 'response_filter_failed',
        request,
        details: { error: error instanceof Error ? error.constructor.name : typeof error },
      });
      throw securityException(500, SecurityErrorCode.INTERNAL_ERROR, Messages.INTERNAL_ERROR());
    }
  }

  private serialize(body: object, meta: SerializeMetadata, ctx: ExecutionContext): unknown {
    const transformer = this.transformer as ClassTransformerApi;
    const groups = this.groups(ctx);
    const convert = (item: unknown): unknown => {
      if (item === null || typeof item !== 'object') return item;
      const instance = transformer.plainToInstance(meta.type as new () => object, item, {
        excludeExtraneousValues: true,
        groups,
      });
      return transformer.instanceToPlain(instance, { excludeExtraneousValues: true, groups });
    };
    const apply = (value: unknown) => (Array.isArray(value) ? value.map(convert) : convert(value));
    if (meta.key === undefined || Array.isArray(body)) return apply(body);
    return { ...(body as Record<string, unknown>), [meta.key]: apply((body as Record<string, unknown>)[meta.key]) };
  }

  /** The caller's roles and every role they include, as class-transformer groups. */
  private groups(ctx: ExecutionContext): string[] {
    if (!this.options.responseFiltering.rolesAsGroups) return [];
    const roles = getPrincipal(getRequest(ctx))?.roles;
    if (!roles || roles.length === 0) return [];
    const key = roles.join('\u0000');
    let groups = this.groupsByRoles.get(key);
    if (!groups) {
      const all = new Set<string>();
      for (const role of roles) {
        all.add(role);
        this.options.authorization.roles.get(role)?.roles.forEach((r) => all.add(r));
      }
      groups = [...all];
      if (this.groupsByRoles.size < GROUP_CACHE_LIMIT) this.groupsByRoles.set(key, groups);
    }
    return groups;
  }

  private compile(cls: RouteClass, handler: RouteHandler): FilterPlan {
    const targets = [handler, cls];
    const serialize = this.reflector.getAllAndOverride<SerializeMetadata | undefined>(SERIALIZE_KEY, targets);
    if (serialize && !this.transformer)
      this.transformer = loadClassTransformer(`@Serialize() on ${cls.name}.${handler.name}`);
    const allowed = this.reflector.getAllAndOverride<string[] | undefined>(ALLOW_SENSITIVE_FIELDS_KEY, targets);
    let stripper: SensitiveFieldStripper | undefined = this.defaultStripper;
    if (allowed?.length) {
      const open = new Set(allowed.map(normalizeFieldName));
      const denied = new Set([...this.options.responseFiltering.denylist].filter((f) => !open.has(f)));
      stripper = new SensitiveFieldStripper(denied, this.options.responseFiltering.maxDepth);
    }
    return { stripper: stripper.inert ? undefined : stripper, serialize };
  }
}
