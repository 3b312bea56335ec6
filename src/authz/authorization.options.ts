import { SecurityConfigError } from '../core/errors/security-config.error';
import type { Principal } from '../core/context/principal.interface';
import type { ResolveContext, FeatureOptions } from '../core/options/core.options';
import {
  describe,
  join,
  readBoolean,
  readFunction,
  readSection,
  readString,
  readStrictSection,
  readStringArray,
  type Raw,
  optionKeys,
} from '../core/options/validate.util';

/**
 * One role of the hierarchy: the permissions it grants and the roles it includes.
 *
 * @publicApi
 */
export interface RoleDefinition {
  /**
   * Permissions granted by this role. `resource:*` grants every action on a resource and `*`
   * grants everything.
   * @default []
   */
  permissions?: string[];
  /**
   * Roles this role includes (their roles and permissions, transitively). `admin` including
   * `editor` means `@Roles('editor')` admits admins too.
   * @default []
   */
  inherits?: string[];
}

/**
 * What a resource loader receives besides the id.
 *
 * @publicApi
 */
export interface ResourceLoadContext {
  /** The authenticated caller. */
  principal: Principal;
  /** The framework request (Express or Fastify). */
  request: unknown;
  /** The route parameters (HTTP) or the resolver's arguments (GraphQL). */
  params: Readonly<Record<string, unknown>>;
}

/**
 * Loads one resource type for `@Owns()` / `@Policy()`. Register it in
 * `authorization.resources` (build it in `forRootAsync`'s factory to use injected services) or
 * as a provider decorated with `@SecurityResource('type')`.
 *
 * @publicApi
 */
export interface ResourceLoader<T = unknown> {
  /** The resource, or `null`/`undefined` when it does not exist (404). */
  load(id: string, ctx: ResourceLoadContext): T | null | undefined | Promise<T | null | undefined>;
  /**
   * Field of the resource holding its owner's id (compared with `principal.id`). An array
   * field means several owners.
   * @default authorization.ownership.ownerField
   */
  ownerField?: string;
  /** Computes the owner id(s) instead of reading `ownerField`. */
  getOwnerId?(resource: T): unknown;
}

/**
 * What a named policy sees.
 *
 * @publicApi
 */
export interface PolicyContext<T = unknown> {
  /** The authenticated caller. */
  principal: Principal;
  /** The loaded resource (from `@Owns()` or the policy's own `resource` option), if any. */
  resource: T | undefined;
  /** The resource type of `resource`, if any. */
  resourceType: string | undefined;
  /** The framework request (Express or Fastify). */
  request: unknown;
  /** Whether the caller has `role` (through the hierarchy). */
  hasRole(role: string): boolean;
  /** Whether the caller has `permission` (through roles, wildcards and, if enabled, scopes). */
  hasPermission(permission: string): boolean;
  /** Whether the caller owns `resource` (owner field of its resource type). */
  isOwner(): boolean;
}

/**
 * A named attribute-based rule used with `@Policy(name)`. Returning anything but `true` denies.
 *
 * @publicApi
 */
export type AuthorizationPolicy = (ctx: PolicyContext) => boolean | Promise<boolean>;

/**
 * What an `authorization.exceptionFactory` receives: the client-facing status, stable code and
 * generic message, plus the refusing rule for logging. A "not the owner" refusal and a missing
 * record look the same here on purpose.
 *
 * @publicApi
 */
export interface AuthorizationDenial {
  status: 401 | 403 | 404;
  code: string;
  message: string;
  /** The refusing rule, e.g. `roles:any(admin)` or `owns:document`; absent for a 401. */
  rule?: string;
  /** The resource type involved, if any. */
  resourceType?: string;
}

/**
 * Builds the exception thrown for an authorization refusal.
 *
 * @publicApi
 */
export type AuthorizationExceptionFactory = (denial: AuthorizationDenial) => Error;

/**
 * Ownership defaults for `@Owns()`.
 *
 * @publicApi
 */
export interface OwnershipOptions {
  /**
   * Field of a loaded resource holding its owner's id, unless its loader names another.
   * @default 'ownerId'
   */
  ownerField?: string;
  /**
   * Status when the caller is not the owner. `404` (the default) does not reveal that the record
   * exists; `403` answers `PERMISSION_DENIED`.
   * @default 404
   */
  notOwnerStatus?: 403 | 404;
  /**
   * Roles that pass every ownership check without owning the resource. Never implicit: empty
   * unless you list them here or per route with `@Owns(type, { overrideRoles })`.
   * @default []
   */
  overrideRoles?: string[];
}

/**
 * Authorization options: role hierarchy and permissions, resource loaders, named policies.
 *
 * @publicApi
 */
export interface AuthorizationOptions {
  /**
   * Turns the feature on or off. Off makes its guards no-ops.
   * @default true
   */
  enabled?: boolean;
  /**
   * The role hierarchy and permission map. Replaces the default entirely when given.
   * @default { admin: { permissions: ['read', 'write', 'delete', 'admin'], inherits: ['editor'] },
   *   editor: { permissions: ['read', 'write'], inherits: ['viewer'] }, viewer: { permissions: ['read'] } }
   */
  roles?: Record<string, RoleDefinition>;
  /**
   * Whether the principal's scopes (OAuth `scope` claim, API-key scopes) also grant permissions.
   * Off by default: scopes usually narrow what a credential may do, and a scope a user could pick
   * for their own API key must never grant a permission their roles do not. Turn it on only when
   * scopes are issued by an authority you trust (your identity provider).
   * @default false
   */
  permissionsFromScopes?: boolean;
  /**
   * Resource loaders by resource type, used by `@Owns(type)` and `@Policy(name, { resource })`.
   * @default {}
   */
  resources?: Record<string, ResourceLoader>;
  /**
   * Named policies used by `@Policy(name)`.
   * @default {}
   */
  policies?: Record<string, AuthorizationPolicy>;
  /** Ownership defaults. */
  ownership?: OwnershipOptions;
  /**
   * Builds the exception for 401/403/404 refusals (e.g. to match an existing error format).
   * Loader and policy failures stay a generic 500.
   * @default undefined (the standard `{ statusCode, error, message, code }` body)
   */
  exceptionFactory?: AuthorizationExceptionFactory;
}

/** A role after the hierarchy was flattened at boot. @internal */
export interface CompiledRole {
  /** The role itself and every role it includes, transitively. */
  readonly roles: ReadonlySet<string>;
  /** Every permission granted by the role and the roles it includes. */
  readonly permissions: ReadonlySet<string>;
}

/** @internal */
export interface ResolvedAuthorizationOptions {
  enabled: boolean;
  roles: ReadonlyMap<string, CompiledRole>;
  permissionsFromScopes: boolean;
  resources: ReadonlyMap<string, ResourceLoader>;
  policies: ReadonlyMap<string, AuthorizationPolicy>;
  ownership: { ownerField: string; notOwnerStatus: 403 | 404; overrideRoles: readonly string[] };
  exceptionFactory: AuthorizationExceptionFactory | undefined;
}

/** The default hierarchy: `admin ⊃ editor ⊃ viewer`. @internal */
const ROLE_KEYS = optionKeys<RoleDefinition>()(['permissions', 'inherits']);
const OWNERSHIP_KEYS = optionKeys<OwnershipOptions>()(['ownerField', 'notOwnerStatus', 'overrideRoles']);
const AUTHORIZATION_KEYS = optionKeys<AuthorizationOptions>()([
  'enabled',
  'roles',
  'permissionsFromScopes',
  'resources',
  'policies',
  'ownership',
  'exceptionFactory',
]);

export const DEFAULT_ROLES: Readonly<Record<string, RoleDefinition>> = {
  admin: { permissions: ['read', 'write', 'delete', 'admin'], inherits: ['editor'] },
  editor: { permissions: ['read', 'write'], inherits: ['viewer'] },
  viewer: { permissions: ['read'] },
};

const PERMISSION = /^(\*|[^*\s]+(:\*)?)$/;

function readRoles(value: unknown, path: string): Map<string, RoleDefinition> {
  const raw = value === undefined ? DEFAULT_ROLES : readSection(value, path);
  const defs = new Map<string, RoleDefinition>();
  for (const name of Object.keys(raw)) {
    const where = join(path, name);
    if (!name.trim()) throw SecurityConfigError.create(where, 'is an empty role name', 'Name the role');
    const def = readStrictSection(raw[name], ROLE_KEYS, where);
    const permissions = readStringArray(def, 'permissions', where, []);
    permissions.forEach((p, i) => {
      if (!PERMISSION.test(p)) {
        throw SecurityConfigError.create(
          `${where}.permissions[${i}]`,
          `"${p}" is not a permission`,
          'Use a name such as "documents:read", a "documents:*" wildcard or "*"',
        );
      }
    });
    defs.set(name, { permissions, inherits: readStringArray(def, 'inherits', where, []) });
  }
  return defs;
}

/** Flattens the hierarchy (refusing unknown parents and cycles) into per-role closures. */
function compileRoles(defs: Map<string, RoleDefinition>, path: string): Map<string, CompiledRole> {
  const compiled = new Map<string, CompiledRole>();
  const visit = (name: string, trail: string[]): CompiledRole => {
    const done = compiled.get(name);
    if (done) return done;
    if (trail.includes(name)) {
      throw SecurityConfigError.create(
        join(path, name),
        `inherits itself (${[...trail, name].join(' → ')})`,
        'Remove one of the inherits entries to break the cycle',
      );
    }
    const def = defs.get(name) as RoleDefinition;
    const roles = new Set([name]);
    const permissions = new Set(def.permissions);
    (def.inherits ?? []).forEach((parent, i) => {
      if (!defs.has(parent)) {
        throw SecurityConfigError.create(
          `${join(path, name)}.inherits[${i}]`,
          `names the unknown role "${parent}"`,
          `Define it under ${path} or remove it (known roles: ${[...defs.keys()].join(', ')})`,
        );
      }
      const child = visit(parent, [...trail, name]);
      child.roles.forEach((r) => roles.add(r));
      child.permissions.forEach((p) => permissions.add(p));
    });
    const role: CompiledRole = { roles, permissions };
    compiled.set(name, role);
    return role;
  };
  // Keep the declaration order (used in messages), not the visiting order.
  return new Map([...defs.keys()].map((name) => [name, visit(name, [])]));
}

function readNamedFunctions<F>(value: unknown, path: string, what: string): Map<string, F> {
  const raw = readSection(value, path);
  const out = new Map<string, F>();
  for (const name of Object.keys(raw)) {
    if (typeof raw[name] !== 'function') {
      throw SecurityConfigError.create(
        join(path, name),
        `must be a function, got ${describe(raw[name])}`,
        `Pass ${what}`,
      );
    }
    out.set(name, raw[name] as F);
  }
  return out;
}

function readResources(value: unknown, path: string): Map<string, ResourceLoader> {
  const raw = readSection(value, path);
  const out = new Map<string, ResourceLoader>();
  for (const name of Object.keys(raw)) {
    const where = join(path, name);
    const def = readSection(raw[name], where);
    if (typeof def.load !== 'function') {
      throw SecurityConfigError.create(
        `${where}.load`,
        `must be a function, got ${describe(def.load)}`,
        'Pass { load: (id, ctx) => service.findById(id) }',
      );
    }
    readString(def, 'ownerField', where);
    readFunction(def, 'getOwnerId', where);
    out.set(name, def as unknown as ResourceLoader);
  }
  return out;
}

function readOwnership(value: unknown, path: string, roles: Map<string, CompiledRole>) {
  const raw: Raw = readStrictSection(value, OWNERSHIP_KEYS, path);
  const status = raw.notOwnerStatus;
  if (status !== undefined && status !== 403 && status !== 404) {
    throw SecurityConfigError.create(
      `${path}.notOwnerStatus`,
      `must be 403 or 404, got ${JSON.stringify(status) ?? describe(status)}`,
      'Use 404 (hides that the record exists) or 403',
    );
  }
  const overrideRoles = readStringArray(raw, 'overrideRoles', path, []);
  overrideRoles.forEach((role, i) => {
    if (!roles.has(role)) {
      throw SecurityConfigError.create(
        `${path}.overrideRoles[${i}]`,
        `names the unknown role "${role}"`,
        `Use one of: ${[...roles.keys()].join(', ')}`,
      );
    }
  });
  return {
    ownerField: readString(raw, 'ownerField', path, 'ownerId'),
    notOwnerStatus: (status ?? 404) as 403 | 404,
    overrideRoles,
  };
}

/** Validates `authorization` once at boot and flattens the role hierarchy. @internal */
export function resolveAuthorizationOptions(
  value: unknown,
  _ctx: ResolveContext,
  path = 'authorization',
): ResolvedAuthorizationOptions {
  const raw = readStrictSection(value, AUTHORIZATION_KEYS, path);
  const roles = compileRoles(readRoles(raw.roles, `${path}.roles`), `${path}.roles`);
  return {
    enabled: readBoolean(raw, 'enabled', path, true),
    roles,
    permissionsFromScopes: readBoolean(raw, 'permissionsFromScopes', path, false),
    resources: readResources(raw.resources, `${path}.resources`),
    policies: readNamedFunctions<AuthorizationPolicy>(raw.policies, `${path}.policies`, 'a (ctx) => boolean function'),
    ownership: readOwnership(raw.ownership, `${path}.ownership`, roles),
    exceptionFactory: readFunction<AuthorizationExceptionFactory>(raw, 'exceptionFactory', path),
  };
}

/** The injected options authorization's services read. @internal */
export type AuthorizationFeatureOptions = FeatureOptions<{
  authorization: ResolvedAuthorizationOptions;
  /** Whether authentication is on, read structurally: authorization does not depend on auth. */
  auth: { enabled: boolean };
}>;
