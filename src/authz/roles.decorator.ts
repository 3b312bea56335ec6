import { SetMetadata } from '@nestjs/common';
import { PERMISSIONS_KEY, ROLES_KEY, type AccessRequirement } from './authorization.constants';

type RequirementArgs = [string, ...string[]] | [{ any: readonly string[] } | { all: readonly string[] }];

function requirement(args: RequirementArgs, byDefault: 'any' | 'all'): AccessRequirement {
  const [first] = args;
  if (typeof first === 'string') return { match: byDefault, values: [...(args as string[])] };
  return 'all' in first ? { match: 'all', values: [...first.all] } : { match: 'any', values: [...first.any] };
}

/**
 * Requires the caller to have one of the roles (or, with `{ all: [...] }`, every one). Roles
 * inherit through `authorization.roles`, so `@Roles('editor')` admits an admin when admin
 * includes editor. The handler's decorator overrides the controller's. Unknown role names fail
 * at boot.
 *
 * @example
 * ```ts
 * @Roles('admin')
 * @Get('users')
 * list() {}
 *
 * @Roles({ all: ['editor', 'auditor'] })
 * @Get('report')
 * report() {}
 * ```
 * @publicApi
 */
export const Roles = (...roles: RequirementArgs): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, requirement(roles, 'any'));

/**
 * Requires every listed permission (or, with `{ any: [...] }`, one of them). Permissions come
 * from the caller's roles (with inheritance and `resource:*` / `*` wildcards) and, only when
 * `authorization.permissionsFromScopes` is on, from the token's or API key's scopes.
 *
 * @example
 * ```ts
 * @Permissions('documents:delete')
 * @Delete(':id')
 * remove() {}
 * ```
 * @publicApi
 */
export const Permissions = (...permissions: RequirementArgs): MethodDecorator & ClassDecorator =>
  SetMetadata(PERMISSIONS_KEY, requirement(permissions, 'all'));
