import { Inject, Injectable } from '@nestjs/common';
import type { FieldAccessCheck, FieldAccessPolicy } from '../core/context/field-access.interface';
import { getSecurityState } from '../core/context/request-state';
import { SecurityEvents } from '../core/events/security-events.service';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { principalHasGrant, principalHasRoles } from './access.util';
import { denied, requirePrincipal } from './authorization-failures';
import { PERMISSIONS_KEY, ROLES_KEY, type AccessRequirement } from './authorization.constants';
import type { AuthorizationFeatureOptions } from './authorization.options';
import { compileRequirement, type CompiledRequirement } from './route-rules';

/**
 * `@Roles()` and `@Permissions()` on properties of GraphQL object types (`@Field()` without a
 * resolver): the same rules, role hierarchy, errors and events as the roles guard, applied by the
 * GraphQL layer before the field is read. With authorization disabled a protected field is refused
 * (fail closed): its rule cannot be evaluated.
 *
 * @internal
 */
@Injectable()
export class FieldAuthorizationService implements FieldAccessPolicy {
  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: AuthorizationFeatureOptions,
    private readonly events: SecurityEvents,
  ) {}

  fieldCheck(type: abstract new (...args: never[]) => unknown, property: string): FieldAccessCheck | undefined {
    const proto = type.prototype as object;
    const read = (key: string) => Reflect.getMetadata(key, proto, property) as AccessRequirement | undefined;
    const { authorization } = this.options;
    const at = `${type.name}.${property}`;
    if (!authorization.enabled) {
      if (read(ROLES_KEY) === undefined && read(PERMISSIONS_KEY) === undefined) return undefined;
      const rule = { rule: 'authorization-disabled' };
      return (request) => {
        throw denied(this.events, request, 403, 'authorization_disabled', rule, authorization.exceptionFactory);
      };
    }
    const roles = compileRequirement('roles', read(ROLES_KEY), authorization, at);
    const permissions = compileRequirement('permissions', read(PERMISSIONS_KEY), authorization, at);
    if (!roles && !permissions) return undefined;
    return (request) => this.check(request, roles, permissions);
  }

  private check(
    request: object,
    roles: CompiledRequirement | undefined,
    permissions: CompiledRequirement | undefined,
  ): void {
    const { auth, authorization } = this.options;
    const principal = requirePrincipal(
      this.events,
      request,
      getSecurityState(request),
      auth.enabled,
      'authorization',
      authorization.exceptionFactory,
    );
    const refuse = (requirement: CompiledRequirement) =>
      denied(
        this.events,
        request,
        403,
        'insufficient_privileges',
        { rule: requirement.rule, principalRoles: principal.roles },
        authorization.exceptionFactory,
      );
    if (roles && !principalHasRoles(principal, roles.values, roles.match, authorization)) throw refuse(roles);
    if (permissions && !this.hasPermissions(principal, permissions)) throw refuse(permissions);
  }

  private hasPermissions(
    principal: Parameters<typeof principalHasGrant>[0],
    requirement: CompiledRequirement,
  ): boolean {
    const test = (candidates: readonly string[]) =>
      principalHasGrant(principal, candidates, this.options.authorization);
    return requirement.match === 'all' ? requirement.candidates.every(test) : requirement.candidates.some(test);
  }
}
