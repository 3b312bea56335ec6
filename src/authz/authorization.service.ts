import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../core/context/principal.interface';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import type { AuthorizationFeatureOptions } from './authorization.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { ownsValue, permissionCandidates, principalHasGrant, principalHasRole } from './access.util';
import { AuthorizationRegistry } from './authorization.registry';

/** Options of {@link AuthorizationService.ownerFilter}. @publicApi */
export interface OwnerFilterOptions {
  /**
   * Roles that see every record (the filter is `{}` for them).
   * @default authorization.ownership.overrideRoles
   */
  overrideRoles?: readonly string[];
}

/**
 * The same role, permission and ownership rules the guards apply, for use in services: list
 * endpoints use {@link ownerFilter} so they return only what the caller may see.
 *
 * @example
 * ```ts
 * @Get()
 * list(@CurrentPrincipal() principal: Principal) {
 *   return this.documents.findAll(this.authz.ownerFilter(principal, 'document'));
 * }
 * ```
 * @publicApi
 */
@Injectable()
export class AuthorizationService {
  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: AuthorizationFeatureOptions,
    private readonly registry: AuthorizationRegistry,
  ) {}

  /** Whether the principal has `role`, directly or through the hierarchy. */
  hasRole(principal: Principal | undefined, role: string): boolean {
    return !!principal && principalHasRole(principal, role, this.options.authorization);
  }

  /** Whether the principal has `permission` through a role (wildcards included) or a scope. */
  hasPermission(principal: Principal | undefined, permission: string): boolean {
    return !!principal && principalHasGrant(principal, permissionCandidates(permission), this.options.authorization);
  }

  /** Whether the principal owns `resource` (read with the loader's owner field of `resourceType`). */
  isOwner(principal: Principal | undefined, resourceType: string, resource: unknown): boolean {
    if (!principal || resource === null || typeof resource !== 'object') return false;
    const loader = this.requireLoader(resourceType);
    const owner = loader.getOwnerId
      ? loader.getOwnerId(resource)
      : (resource as Record<string, unknown>)[this.ownerField(resourceType)];
    return ownsValue(owner, principal.id);
  }

  /**
   * The query filter for a list of `resourceType`: `{ [ownerField]: principal.id }`, or `{}` for
   * a principal with an override role. No principal is a 401, never an unfiltered list.
   *
   * @throws {UnauthorizedException} no principal
   */
  ownerFilter<F extends Record<string, string> = Record<string, string>>(
    principal: Principal | undefined,
    resourceType: string,
    options: OwnerFilterOptions = {},
  ): Partial<F> {
    if (!principal) {
      throw securityException(401, SecurityErrorCode.AUTHENTICATION_REQUIRED, Messages.AUTHENTICATION_REQUIRED());
    }
    const field = this.ownerField(resourceType);
    const overrideRoles = options.overrideRoles ?? this.options.authorization.ownership.overrideRoles;
    if (overrideRoles.some((role) => this.hasRole(principal, role))) return {};
    return { [field]: principal.id } as Partial<F>;
  }

  private ownerField(resourceType: string): string {
    return this.requireLoader(resourceType).ownerField ?? this.options.authorization.ownership.ownerField;
  }

  private requireLoader(resourceType: string) {
    const loader = this.registry.loader(resourceType);
    if (!loader) throw new Error(`AuthorizationService: unknown resource type "${resourceType}"`);
    return loader;
  }
}
