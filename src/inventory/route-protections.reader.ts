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
import type { ResolvedSecurityOptions } from '../core/options/security-options.interface';
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
  const { cls, handler, method, path } = route;
  const targets = [handler, cls] as unknown as Targets;
  const override = <T>(key: string): T | undefined => reflector.getAllAndOverride<T | undefined>(key, targets);
  const list = <T>(key: string): T[] => [
    ...((Reflect.getMetadata(key, cls) as T[] | undefined) ?? []),
    ...((Reflect.getMetadata(key, handler) as T[] | undefined) ?? []),
  ];
  const isPublic = override<boolean>(PUBLIC_KEY) === true;
  const authz = options.authorization.enabled;
  const owns = list<OwnsRule>(OWNS_KEY);
  const policies = list<PolicyRule>(POLICIES_KEY);
  const webhook = options.signing.enabled ? override<{ scheme: string }>(WEBHOOK_KEY) : undefined;
  const signedMeta = override<boolean>(SIGNED_KEY);
  const signed =
    options.signing.enabled &&
    !webhook &&
    (signedMeta === true || (signedMeta === undefined && options.signing.paths.some((p) => path.startsWith(p))));
  const idempotentMeta = override<{ required?: boolean }>(IDEMPOTENT_KEY);
  const idempotent =
    options.idempotency.enabled &&
    !SAFE_METHODS.has(method) &&
    (idempotentMeta !== undefined ||
      (options.idempotency.applyTo === 'mutations' && (method === 'POST' || method === 'PATCH')));
  const deprecated = override<{ sunsetMs: number; link?: string }>(DEPRECATED_KEY);
  const serialize = options.responseFiltering.enabled ? override<SerializeMetadata>(SERIALIZE_KEY) : undefined;
  const wholeBody = route.bodyParams.find((p) => p.field === undefined);
  const limits = readRateLimits(reflector, targets, options.rateLimit);
  const entry: InventoryRoute = {
    id: `${method} ${path}`,
    kind: 'http',
    method,
    path,
    controller: cls.name,
    handler: route.handlerName,
    source,
    public: isPublic,
    authentication:
      isPublic || !options.auth.enabled
        ? []
        : [...(override<string[]>(AUTH_METHODS_KEY) ?? options.auth.defaultMethods)],
    roles: authz ? [...(override<AccessRequirement>(ROLES_KEY)?.values ?? [])] : [],
    permissions: authz ? [...(override<AccessRequirement>(PERMISSIONS_KEY)?.values ?? [])] : [],
    scopes:
      options.auth.enabled && !isPublic
        ? [...new Set(reflector.getAllAndMerge<string[]>(SCOPES_KEY, targets) ?? [])]
        : [],
    ownership: authz && owns.length > 0 ? { resource: owns[0].resource, param: owns[0].param } : null,
    policies: authz ? policies.map((p) => p.policy) : [],
    rateLimits: limits.limits,
    idempotent,
    signed,
    webhook: webhook ? { scheme: webhook.scheme } : null,
    deprecated: deprecated
      ? { sunset: new Date(deprecated.sunsetMs).toISOString(), link: deprecated.link ?? null }
      : null,
    bodyDto: wholeBody && !NOT_DTO.has(wholeBody.type) ? (wholeBody.type as { name: string }).name : null,
    responseFilter: serialize ? serialize.type.name : null,
    warnings: [],
    acceptedRisks: [],
  };
  const notOwner = options.authorization.ownership.notOwnerStatus;
  const facts: RouteFacts = {
    route,
    pathParams: pathParams(path),
    wholeBody,
    routeScopedLimit: limits.routeScoped,
    loadsResource: authz && (owns.length > 0 || policies.some((p) => p.resource !== undefined)),
    denyStatuses: authz
      ? [...owns.map((o) => o.notOwnerStatus ?? notOwner), ...policies.map((p) => p.deniedStatus ?? notOwner)]
      : [],
    idempotencyKeyRequired: idempotent && (idempotentMeta?.required ?? options.idempotency.required),
    declaresResourceRules: owns.length > 0 || policies.length > 0,
    accepted: list<AcceptRiskMetadata>(ACCEPT_RISK_KEY),
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
