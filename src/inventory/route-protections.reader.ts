import type { Reflector } from '@nestjs/core';
import { AUTH_METHODS_KEY, SCOPES_KEY } from '../auth/auth.constants';
import {
  OWNS_KEY,
  PERMISSIONS_KEY,
  POLICIES_KEY,
  ROLES_KEY,
  type AccessRequirement,
  type OwnsRule,
  type PolicyRule,
} from '../authz/authorization.constants';
import type { ResolvedSecurityOptions } from '../security.options';
import { PUBLIC_KEY } from '../core/security.constants';
import { DEPRECATED_KEY } from '../deprecation/deprecation.constants';
import { SERIALIZE_KEY, type SerializeMetadata } from '../filtering/filtering.constants';
import { IDEMPOTENT_KEY } from '../idempotency/idempotency.constants';
import { SIGNED_KEY, WEBHOOK_KEY } from '../signing/signing.constants';
import { ACCEPT_RISK_KEY } from './inventory.constants';
import type { AcceptRiskMetadata } from './accept-risk.decorator';
import type { InventoryRoute } from './inventory.interface';
import { readRateLimits } from './rate-limits.reader';
import type { BodyParam, DiscoveredRoute } from './route-discovery.util';

/** Reflector targets: [handler, class]. */
type Targets = Parameters<Reflector['getAllAndOverride']>[1];

/** Parameter types that are not DTO classes (what the validation pipe passes through unvalidated). */
const NOT_DTO = new Set<unknown>([
  undefined,
  Object,
  Array,
  Function,
  Promise,
  Buffer,
  Date,
  Map,
  Set,
  Symbol,
  BigInt,
  String,
  Number,
  Boolean,
]);

/** What the inventory JSON does not carry but the risk checks and the OpenAPI enrichment need. @internal */
export interface RouteFacts {
  route: DiscoveredRoute;
  /** Parameters named in the path (`:id` → `id`). */
  pathParams: string[];
  /** A `@Body()` that reads the whole body. */
  wholeBody: BodyParam | undefined;
  /** A rate limit belongs to this route alone (stricter than the module-wide ones). */
  routeScopedLimit: boolean;
  /** Ownership or policy rules load a resource: a missing one answers 404. */
  loadsResource: boolean;
  /** Status answered to a caller who is not the owner or whom a policy denies. */
  denyStatuses: Array<403 | 404>;
  /** `Idempotency-Key` is required (idempotent routes only). */
  idempotencyKeyRequired: boolean;
  /** `@Owns()` / `@Policy()` present in metadata (even when authorization is disabled). */
  declaresResourceRules: boolean;
  accepted: AcceptRiskMetadata[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Reads one route's metadata the way the guards do. */
class RouteMetadata {
  readonly targets: Targets;

  constructor(
    readonly reflector: Reflector,
    private readonly route: DiscoveredRoute,
  ) {
    // An object type property: only its own metadata applies (see FieldAuthorizationService).
    this.targets = (route.property === undefined ? [route.handler, route.cls] : []) as unknown as Targets;
  }

  /** The handler's value, else the controller's (a protected property: the property's own). */
  override<T>(key: string): T | undefined {
    const { property, cls } = this.route;
    if (property !== undefined) return Reflect.getMetadata(key, cls.prototype as object, property) as T | undefined;
    return this.reflector.getAllAndOverride<T | undefined>(key, this.targets);
  }

  /** The controller's list, then the handler's (`@Owns()`, `@Policy()`, `@AcceptRisk()`). */
  list<T>(key: string): T[] {
    if (this.route.property !== undefined) return [];
    return [
      ...((Reflect.getMetadata(key, this.route.cls) as T[] | undefined) ?? []),
      ...((Reflect.getMetadata(key, this.route.handler) as T[] | undefined) ?? []),
    ];
  }
}

type Access = Pick<InventoryRoute, 'authentication' | 'roles' | 'permissions' | 'scopes' | 'ownership' | 'policies'>;

/** Authentication and authorization in force (a disabled feature's rules protect nothing). */
function readAccess(meta: RouteMetadata, options: ResolvedSecurityOptions, isPublic: boolean): Access {
  const authn = options.auth.enabled && !isPublic;
  const authz = options.authorization.enabled;
  const owns = authz ? meta.list<OwnsRule>(OWNS_KEY) : [];
  return {
    authentication: authn ? [...(meta.override<string[]>(AUTH_METHODS_KEY) ?? options.auth.defaultMethods)] : [],
    roles: authz ? [...(meta.override<AccessRequirement>(ROLES_KEY)?.values ?? [])] : [],
    permissions: authz ? [...(meta.override<AccessRequirement>(PERMISSIONS_KEY)?.values ?? [])] : [],
    scopes: authn ? [...new Set(meta.reflector.getAllAndMerge<string[]>(SCOPES_KEY, meta.targets) ?? [])] : [],
    ownership: owns.length > 0 ? { resource: owns[0].resource, param: owns[0].param } : null,
    policies: authz ? meta.list<PolicyRule>(POLICIES_KEY).map((p) => p.policy) : [],
  };
}

/** Request signature or webhook verification (a webhook route is verified as a webhook only). */
function readSigning(
  meta: RouteMetadata,
  options: ResolvedSecurityOptions,
  path: string,
): Pick<InventoryRoute, 'signed' | 'webhook'> {
  if (!options.signing.enabled) return { signed: false, webhook: null };
  const webhook = meta.override<{ scheme: string }>(WEBHOOK_KEY);
  if (webhook) return { signed: false, webhook: { scheme: webhook.scheme } };
  const signed = meta.override<boolean>(SIGNED_KEY);
  return { signed: signed ?? options.signing.paths.some((p) => path.startsWith(p)), webhook: null };
}

/** Whether idempotency applies (never to safe methods) and whether the key is required. */
function readIdempotency(
  meta: RouteMetadata,
  options: ResolvedSecurityOptions,
  method: string,
): { idempotent: boolean; keyRequired: boolean } {
  const { enabled, applyTo, required } = options.idempotency;
  const decorated = meta.override<{ required?: boolean }>(IDEMPOTENT_KEY);
  const idempotent =
    enabled &&
    !SAFE_METHODS.has(method) &&
    (decorated !== undefined || (applyTo === 'mutations' && (method === 'POST' || method === 'PATCH')));
  return { idempotent, keyRequired: idempotent && (decorated?.required ?? required) };
}

/** What the OpenAPI error responses need to know about ownership and policies. */
function resourceFacts(
  meta: RouteMetadata,
  options: ResolvedSecurityOptions,
): Pick<RouteFacts, 'loadsResource' | 'denyStatuses' | 'declaresResourceRules'> {
  const owns = meta.list<OwnsRule>(OWNS_KEY);
  const policies = meta.list<PolicyRule>(POLICIES_KEY);
  const authz = options.authorization.enabled;
  const notOwner = options.authorization.ownership.notOwnerStatus;
  return {
    loadsResource: authz && (owns.length > 0 || policies.some((p) => p.resource !== undefined)),
    denyStatuses: authz
      ? [...owns.map((o) => o.notOwnerStatus ?? notOwner), ...policies.map((p) => p.deniedStatus ?? notOwner)]
      : [],
    declaresResourceRules: owns.length > 0 || policies.length > 0,
  };
}

/**
 * Reads every feature's metadata on one route (handler over class, as the guards do) and
 * describes what is in force given the resolved options: rules of a disabled feature are not
 * listed, because they protect nothing.
 *
 * @internal
 */
export function readRouteProtections(
  reflector: Reflector,
  options: ResolvedSecurityOptions,
  route: DiscoveredRoute,
  source: string | null,
): { entry: InventoryRoute; facts: RouteFacts } {
  const { method, path } = route;
  const meta = new RouteMetadata(reflector, route);
  const isPublic = meta.override<boolean>(PUBLIC_KEY) === true;
  const idempotency = readIdempotency(meta, options, method);
  const deprecated = meta.override<{ sunsetMs: number; link?: string }>(DEPRECATED_KEY);
  const serialize = options.responseFiltering.enabled ? meta.override<SerializeMetadata>(SERIALIZE_KEY) : undefined;
  const wholeBody = route.bodyParams.find((p) => p.field === undefined);
  const limits = readRateLimits(reflector, meta.targets, options.rateLimit);
  const entry: InventoryRoute = {
    id: `${method} ${path}`,
    kind: route.kind,
    method,
    path,
    controller: route.cls.name,
    handler: route.handlerName,
    source,
    public: isPublic,
    ...readAccess(meta, options, isPublic),
    rateLimits: limits.limits,
    idempotent: idempotency.idempotent,
    ...readSigning(meta, options, path),
    deprecated: deprecated
      ? { sunset: new Date(deprecated.sunsetMs).toISOString(), link: deprecated.link ?? null }
      : null,
    bodyDto: wholeBody && !NOT_DTO.has(wholeBody.type) ? (wholeBody.type as { name: string }).name : null,
    responseFilter: serialize ? serialize.type.name : null,
    warnings: [],
    acceptedRisks: [],
  };
  const facts: RouteFacts = {
    route,
    pathParams: pathParams(path),
    wholeBody,
    routeScopedLimit: limits.routeScoped,
    ...resourceFacts(meta, options),
    idempotencyKeyRequired: idempotency.keyRequired,
    accepted: meta.list<AcceptRiskMetadata>(ACCEPT_RISK_KEY),
  };
  return { entry, facts };
}

/** `/documents/:id/files/:fileId?` → `['id', 'fileId']`. */
export function pathParams(path: string): string[] {
  const names: string[] = [];
  for (const segment of path.split('/')) {
    const match = /^:([A-Za-z0-9_]+)/.exec(segment);
    if (match) names.push(match[1]);
  }
  return names;
}
