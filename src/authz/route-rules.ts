import type { Reflector } from '@nestjs/core';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { AuthorizationPolicy, ResolvedAuthorizationOptions, ResourceLoader } from './authorization.options';
import { PUBLIC_KEY } from '../core/security.constants';
import { permissionCandidates } from './access.util';
import {
  OWNS_KEY,
  PERMISSIONS_KEY,
  POLICIES_KEY,
  ROLES_KEY,
  type AccessRequirement,
  type OwnsRule,
  type PolicyRule,
} from './authorization.constants';

/** A controller class or handler method: anything with a name that metadata is attached to. @internal */
export type RouteTarget = { readonly name: string };

/** A `@Roles()` / `@Permissions()` requirement, ready for requests. @internal */
export interface CompiledRequirement {
  match: 'any' | 'all';
  values: readonly string[];
  /** Per value, the grants that satisfy it (permissions only). */
  candidates: readonly (readonly string[])[];
  /** How the rule is named in PERMISSION_DENIED events, e.g. `roles:any(admin)`. */
  rule: string;
}

/** How a loaded resource names its owner. @internal */
export type OwnerReader = (resource: unknown) => unknown;

/** One `@Owns()`, bound to its loader. @internal */
export interface CompiledOwnsRule {
  resource: string;
  param: string;
  loader: ResourceLoader;
  ownerOf: OwnerReader;
  overrideRoles: readonly string[];
  notOwnerStatus: 403 | 404;
  rule: string;
}

/** One `@Policy()`, bound to its function and (optionally) a loader. @internal */
export interface CompiledPolicyRule {
  name: string;
  evaluate: AuthorizationPolicy;
  /** Resource type handed to the policy, if any. */
  resource: string | undefined;
  /** Set when this policy loads its own resource; otherwise it reuses the last `@Owns()` one. */
  loader: ResourceLoader | undefined;
  ownerOf: OwnerReader | undefined;
  param: string;
  deniedStatus: 403 | 404;
  rule: string;
}

/** Everything the authorization guards need for one handler, computed once. @internal */
export interface RouteRules {
  isPublic: boolean;
  roles: CompiledRequirement | undefined;
  permissions: CompiledRequirement | undefined;
  owns: readonly CompiledOwnsRule[];
  policies: readonly CompiledPolicyRule[];
  /** `owns` then `policies`: the order the ownership guard evaluates them in. */
  resourceSteps: readonly (CompiledOwnsRule | CompiledPolicyRule)[];
  hasAccessRules: boolean;
  hasResourceRules: boolean;
}

/** Where a rule was declared, for boot errors: `DocumentsController.remove`. */
function where(cls: RouteTarget, handler: RouteTarget): string {
  return `${cls.name}.${handler.name}`;
}

function list<R>(key: string, cls: RouteTarget, handler: RouteTarget): R[] {
  const own = (Reflect.getMetadata(key, cls) as R[] | undefined) ?? [];
  const method = (Reflect.getMetadata(key, handler) as R[] | undefined) ?? [];
  return [...own, ...method];
}

function checkRoles(names: readonly string[], options: ResolvedAuthorizationOptions, at: string): void {
  for (const name of names) {
    if (!options.roles.has(name)) {
      throw SecurityConfigError.create(
        at,
        `names the unknown role "${name}"`,
        `Define it in authorization.roles (known roles: ${[...options.roles.keys()].join(', ')})`,
      );
    }
  }
}

/**
 * Without scopes as a source, a permission no role grants can never pass: it is a typo or a
 * missing role entry, so refuse it at boot rather than answer 403 forever.
 */
function checkGranted(
  names: readonly string[],
  candidates: readonly (readonly string[])[],
  options: ResolvedAuthorizationOptions,
  at: string,
): void {
  names.forEach((name, i) => {
    for (const role of options.roles.values()) {
      if (candidates[i].some((c) => role.permissions.has(c))) return;
    }
    throw SecurityConfigError.create(
      `@Permissions() on ${at}`,
      `requires "${name}", which no role in authorization.roles grants`,
      'Grant it to a role (or fix the name), or set authorization.permissionsFromScopes if scopes grant it',
    );
  });
}

/** Validates a `@Roles()` / `@Permissions()` value (unknown roles, ungranted permissions) and compiles it. @internal */
export function compileRequirement(
  kind: 'roles' | 'permissions',
  value: AccessRequirement | undefined,
  options: ResolvedAuthorizationOptions,
  at: string,
): CompiledRequirement | undefined {
  if (value === undefined) return undefined;
  if (value.values.length === 0) {
    throw SecurityConfigError.create(
      at,
      `has an empty @${kind === 'roles' ? 'Roles' : 'Permissions'}()`,
      'List at least one',
    );
  }
  if (kind === 'roles') checkRoles(value.values, options, `@Roles() on ${at}`);
  const candidates = kind === 'permissions' ? value.values.map(permissionCandidates) : [];
  if (kind === 'permissions' && !options.permissionsFromScopes) checkGranted(value.values, candidates, options, at);
  return {
    match: value.match,
    values: value.values,
    candidates,
    rule: `${kind}:${value.match}(${value.values.join(',')})`,
  };
}

function ownerReader(loader: ResourceLoader, options: ResolvedAuthorizationOptions): OwnerReader {
  if (loader.getOwnerId) return (resource) => loader.getOwnerId?.(resource);
  const field = loader.ownerField ?? options.ownership.ownerField;
  return (resource) => (resource as Record<string, unknown>)[field];
}

/**
 * Reads and validates a handler's authorization metadata and binds it to loaders and policies.
 * Throws {@link SecurityConfigError} for unknown roles, resource types and policies: run for
 * every controller method at boot, so these never reach a request.
 *
 * @internal
 */
export function compileRouteRules(
  reflector: Reflector,
  cls: RouteTarget,
  handler: RouteTarget,
  options: ResolvedAuthorizationOptions,
  loaderFor: (type: string) => ResourceLoader | undefined,
): RouteRules {
  const at = where(cls, handler);
  // Reflector types its targets as `Function`; these are the same class and method objects.
  const targets = [handler, cls] as unknown as Parameters<Reflector['getAllAndOverride']>[1];
  const resolveLoader = (type: string, decorator: string): ResourceLoader => {
    const loader = loaderFor(type);
    if (!loader) {
      throw SecurityConfigError.create(
        `${decorator} on ${at}`,
        `names the unknown resource type "${type}"`,
        'Register a loader in authorization.resources or a provider decorated with @SecurityResource()',
      );
    }
    return loader;
  };
  const owns = list<OwnsRule>(OWNS_KEY, cls, handler).map((rule): CompiledOwnsRule => {
    const loader = resolveLoader(rule.resource, '@Owns()');
    if (rule.overrideRoles) checkRoles(rule.overrideRoles, options, `@Owns() overrideRoles on ${at}`);
    return {
      resource: rule.resource,
      param: rule.param,
      loader,
      ownerOf: ownerReader(loader, options),
      overrideRoles: rule.overrideRoles ?? options.ownership.overrideRoles,
      notOwnerStatus: rule.notOwnerStatus ?? options.ownership.notOwnerStatus,
      rule: `owns:${rule.resource}`,
    };
  });
  const lastOwns = owns[owns.length - 1];
  const policies = list<PolicyRule>(POLICIES_KEY, cls, handler).map((rule): CompiledPolicyRule => {
    const evaluate = options.policies.get(rule.policy);
    if (!evaluate) {
      throw SecurityConfigError.create(
        `@Policy() on ${at}`,
        `names the unknown policy "${rule.policy}"`,
        `Define it in authorization.policies (known: ${[...options.policies.keys()].join(', ') || 'none'})`,
      );
    }
    const loader = rule.resource ? resolveLoader(rule.resource, '@Policy()') : undefined;
    return {
      name: rule.policy,
      evaluate,
      resource: rule.resource ?? lastOwns?.resource,
      loader,
      ownerOf: loader ? ownerReader(loader, options) : lastOwns?.ownerOf,
      param: rule.param,
      deniedStatus: rule.deniedStatus ?? options.ownership.notOwnerStatus,
      rule: `policy:${rule.policy}`,
    };
  });
  const roles = compileRequirement('roles', reflector.getAllAndOverride(ROLES_KEY, targets), options, at);
  const permissions = compileRequirement(
    'permissions',
    reflector.getAllAndOverride(PERMISSIONS_KEY, targets),
    options,
    at,
  );
  return {
    isPublic: reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) === true,
    roles,
    permissions,
    owns,
    policies,
    resourceSteps: [...owns, ...policies],
    hasAccessRules: roles !== undefined || permissions !== undefined,
    hasResourceRules: owns.length > 0 || policies.length > 0,
  };
}
