import { defineFeature } from '../core/feature/security-feature.interface';
import { FIELD_ACCESS_POLICY } from '../core/internal.constants';
import { resolveAuthorizationOptions } from './authorization.options';
import { AuthorizationRegistry } from './authorization.registry';
import { AuthorizationService } from './authorization.service';
import { FieldAuthorizationService } from './field-authorization.service';
import { OwnershipGuard } from './ownership.guard';
import { RolesGuard } from './roles.guard';

/** Authorization: roles, permissions, scopes, ownership and policies. @internal */
export const authorizationFeature = defineFeature({
  key: 'authorization',
  resolve: resolveAuthorizationOptions,
  providers: [
    AuthorizationRegistry,
    AuthorizationService,
    FieldAuthorizationService,
    // What the GraphQL layer applies to `@Roles()` / `@Permissions()` on object type properties.
    { provide: FIELD_ACCESS_POLICY, useExisting: FieldAuthorizationService },
  ],
  exports: [AuthorizationService],
  enhancers: {
    rolesGuard: { kind: 'guard', type: RolesGuard, when: (o) => o.enabled },
    ownershipGuard: { kind: 'guard', type: OwnershipGuard, when: (o) => o.enabled },
  },
  enabled: (o) => o.enabled,
  summary: (o) => (o.enabled ? `authorization on (${o.roles.size} roles)` : 'authorization off'),
});
