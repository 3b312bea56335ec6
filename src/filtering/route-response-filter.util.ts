import { StreamableFile } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { DiscoveryService, MetadataScanner, type ModulesContainer } from '@nestjs/core';
import type { ResponseBodyFilter } from '../core/context/pending-response-filter.util';
import { getPrincipal } from '../core/context/request-state';
import type { RouteClass, RouteHandler } from '../core/context/route-plan.cache';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SecurityEventType } from '../core/events/security-event.interface';
import type { SecurityEvents } from '../core/events/security-events.service';
import { loadClassTransformer, type ClassTransformerApi } from './class-transformer.loader';
import { ALLOW_SENSITIVE_FIELDS_KEY, SERIALIZE_KEY, type SerializeMetadata } from './filtering.constants';
import { normalizeFieldName, type ResponseFilteringFeatureOptions } from './response-filtering.options';
import { SensitiveFieldStripper } from './sensitive-fields.util';

const GROUP_CACHE_LIMIT = 1_000;

/** What one route (controller class and handler) needs, computed once. */
interface FilterPlan {
  stripper: SensitiveFieldStripper | undefined;
  serialize: SerializeMetadata | undefined;
}

/** Values sent as they are: never walked, never given to class-transformer. */
function isOpaque(body: object): boolean {
  return (
    body instanceof StreamableFile ||
    Buffer.isBuffer(body) ||
    ArrayBuffer.isView(body) ||
    typeof (body as { pipe?: unknown }).pipe === 'function'
  );
}

/**
 * Compiles the response filter of each route from its metadata (`@Serialize()`,
 * `@AllowSensitiveFields()`) and the module options, and applies it: the DTO first (role groups
 * included), then the sensitive-field denylist. Shared by the guard that records a route's filter
 * and by `ResponseFilterInterceptor`.
 *
 * @internal
 */
export class ResponseFilterCompiler {
  private readonly groupsByRoles = new Map<string, string[]>();
  private readonly defaultStripper: SensitiveFieldStripper;
  private transformer: ClassTransformerApi | undefined;

  constructor(
    private readonly options: ResponseFilteringFeatureOptions,
    private readonly reflector: Reflector,
    private readonly events: SecurityEvents,
  ) {
    const { denylist, maxDepth } = options.responseFiltering;
    this.defaultStripper = new SensitiveFieldStripper(denylist, maxDepth);
  }

  /** Calls `visit` for every route handler of every controller (to warm plans at boot). */
  static forEachRoute(modules: ModulesContainer, visit: (cls: RouteClass, handler: RouteHandler) => void): void {
    const scanner = new MetadataScanner();
    for (const wrapper of new DiscoveryService(modules).getControllers()) {
      const cls = wrapper.metatype as RouteClass | undefined;
      if (!cls?.prototype) continue;
      for (const name of scanner.getAllMethodNames(cls.prototype)) {
        const handler = (cls.prototype as Record<string, unknown>)[name];
        if (typeof handler === 'function') visit(cls, handler);
      }
    }
  }

  /** The route's filter, or `null` when it has nothing to do (empty denylist, no DTO). */
  compile(cls: RouteClass, handler: RouteHandler): ResponseBodyFilter | null {
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
    const plan: FilterPlan = { stripper: stripper.inert ? undefined : stripper, serialize };
    if (!plan.stripper && !plan.serialize) return null;
    return {
      apply: (body, request) => this.filter(body, plan, request),
      denies: (fieldName) => plan.stripper?.isDenied(fieldName) ?? false,
    };
  }

  private filter(body: unknown, plan: FilterPlan, request: object): unknown {
    if (body === null || typeof body !== 'object' || isOpaque(body)) return body;
    try {
      const shaped = plan.serialize ? this.serialize(body, plan.serialize, request) : body;
      return plan.stripper ? plan.stripper.strip(shaped) : shaped;
    } catch (error) {
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

  private serialize(body: object, meta: SerializeMetadata, request: object): unknown {
    const transformer = this.transformer as ClassTransformerApi;
    const groups = this.groups(request);
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
  private groups(request: object): string[] {
    if (!this.options.responseFiltering.rolesAsGroups) return [];
    const roles = getPrincipal(request)?.roles;
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
}
