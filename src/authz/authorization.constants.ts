/** Metadata key written by `@Roles()`. @publicApi */
export const ROLES_KEY = 'security:roles';
/** Metadata key written by `@Permissions()`. @publicApi */
export const PERMISSIONS_KEY = 'security:permissions';
/** Metadata key written by `@Owns()` (a list, class rules first). @publicApi */
export const OWNS_KEY = 'security:owns';
/** Metadata key written by `@Policy()` (a list). @publicApi */
export const POLICIES_KEY = 'security:policies';
/** Metadata key written by `@SecurityResource()` on resource loader providers. @publicApi */
export const SECURITY_RESOURCE_KEY = 'security:resource';

/**
 * How several required roles or permissions combine: `any` admits a caller who has one of them,
 * `all` requires every one.
 *
 * @publicApi
 */
export type MatchMode = 'any' | 'all';

/** What `@Roles()` / `@Permissions()` store. @publicApi */
export interface AccessRequirement {
  match: MatchMode;
  values: readonly string[];
}

/** What one `@Owns()` stores. @publicApi */
export interface OwnsRule {
  resource: string;
  /** Route parameter holding the resource id. */
  param: string;
  /** Roles passing without owning it; `undefined` means the `authorization.ownership` default. */
  overrideRoles?: readonly string[];
  /** Status when not the owner; `undefined` means the `authorization.ownership` default. */
  notOwnerStatus?: 403 | 404;
}

/** What one `@Policy()` stores. @publicApi */
export interface PolicyRule {
  policy: string;
  /** Resource type to load for the policy; when absent it sees the last `@Owns()` resource. */
  resource?: string;
  /** Route parameter holding the resource id. */
  param: string;
  /** Status when the policy denies a loaded resource (no resource: always 403). */
  deniedStatus?: 403 | 404;
}
