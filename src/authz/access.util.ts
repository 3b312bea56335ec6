import type { Principal } from '../core/context/principal.interface';
import type { ResolvedAuthorizationOptions } from './authorization.options';

/**
 * The grants that satisfy `permission`, computed once per route: the permission itself, each
 * `prefix:*` wildcard above it and `*`. `documents:delete` → `documents:delete`, `documents:*`, `*`.
 *
 * @internal
 */
export function permissionCandidates(permission: string): readonly string[] {
  const out = [permission];
  let end = permission.lastIndexOf(':');
  while (end > 0) {
    out.push(`${permission.slice(0, end)}:*`);
    end = permission.lastIndexOf(':', end - 1);
  }
  if (permission !== '*') out.push('*');
  return out;
}

/** Whether one of the principal's roles is `role` or includes it. @internal */
export function principalHasRole(
  principal: Principal,
  role: string,
  options: Pick<ResolvedAuthorizationOptions, 'roles'>,
): boolean {
  for (const own of principal.roles) {
    if (options.roles.get(own)?.roles.has(role)) return true;
  }
  return false;
}

/** Whether the principal holds one of `candidates` through a role or (if enabled) a scope. @internal */
export function principalHasGrant(
  principal: Principal,
  candidates: readonly string[],
  options: Pick<ResolvedAuthorizationOptions, 'roles' | 'permissionsFromScopes'>,
): boolean {
  for (const own of principal.roles) {
    const permissions = options.roles.get(own)?.permissions;
    if (!permissions) continue;
    for (const candidate of candidates) if (permissions.has(candidate)) return true;
  }
  if (options.permissionsFromScopes) {
    for (const scope of principal.scopes) if (candidates.includes(scope)) return true;
  }
  return false;
}

/** Whether the principal has one of (`any`) or all of (`all`) the roles. @internal */
export function principalHasRoles(
  principal: Principal,
  roles: readonly string[],
  match: 'any' | 'all',
  options: Pick<ResolvedAuthorizationOptions, 'roles'>,
): boolean {
  return match === 'all'
    ? roles.every((role) => principalHasRole(principal, role, options))
    : roles.some((role) => principalHasRole(principal, role, options));
}

/** The owner id(s) of a resource compared with `principal.id`: strings, numbers, or lists of them. @internal */
export function ownsValue(owner: unknown, principalId: string): boolean {
  if (typeof owner === 'string') return owner.length > 0 && owner === principalId;
  if (typeof owner === 'number' || typeof owner === 'bigint') return String(owner) === principalId;
  if (Array.isArray(owner)) return owner.some((o) => (typeof o === 'object' ? false : ownsValue(o, principalId)));
  return false;
}
