import { SetMetadata } from '@nestjs/common';
import { PERMISSIONS_KEY, ROLES_KEY, type AccessRequirement } from './authorization.constants';

type RequirementArgs = [string, ...string[]] | [{ any: readonly string[] } | { all: readonly string[] }];

function requirement(args: RequirementArgs, byDefault: 'any' | 'all'): AccessRequirement {
  const [first] = args;
  if (typeof first === 'string') return { match: byDefault, values: [...(args as string[])] };
  return 'all' in first ? { match: 'all', values: [...first.all] } : { match: 'any', values: [...first.any] };
}

/** What `@Roles()` and `@Permissions()` decorate: a handler, a controller or resolver, or an object type property. */
type AccessDecorator = MethodDecorator & ClassDecorator & PropertyDecorator;

/**
 * `SetMetadata` on classes and methods; on a property (a GraphQL `@Field()`), metadata of that
 * property, which `SetMetadata` cannot write (it would land on the prototype itself).
 */
function accessMetadata(key: string, value: AccessRequirement): AccessDecorator {
  const onTarget = SetMetadata(key, value);
  return ((target: object, property?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (property !== undefined && descriptor === undefined) {
      Reflect.defineMetadata(key, value, target, property);
      return;
    }
    return (onTarget as (t: object, p?: string | symbol, d?: PropertyDescriptor) => unknown)(
      target,
      property,
      descriptor,
    );
  }) as AccessDecorator;
}

/**
 * Requires the caller to have one of the roles (or, with `{ all: [...] }`, every one). Roles
 * inherit through `authorization.roles`, so `@Roles('editor')` admits an admin when admin
 * includes editor. The handler's decorator overrides the controller's. Unknown role names fail
 * at boot. On a property of a GraphQL `@ObjectType()` (wired by `SecurityGraphQL`), callers
 * without the role read `null` and a `PERMISSION_DENIED` error for that field.
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
 *
 * // on a GraphQL object type field
 * @Roles('admin')
 * @Field(() => String, { nullable: true })
 * email?: string;
 * ```
 * @publicApi
 */
export const Roles = (...roles: RequirementArgs): AccessDecorator =>
  accessMetadata(ROLES_KEY, requirement(roles, 'any'));

/**
 * Requires every listed permission (or, with `{ any: [...] }`, one of them). Permissions come
 * from the caller's roles (with inheritance and `resource:*` / `*` wildcards) and, only when
 * `authorization.permissionsFromScopes` is on, from the token's or API key's scopes. Like
 * `@Roles()`, it also protects a property of a GraphQL `@ObjectType()`.
 *
 * @example
 * ```ts
 * @Permissions('documents:delete')
 * @Delete(':id')
 * remove() {}
 * ```
 * @publicApi
 */
export const Permissions = (...permissions: RequirementArgs): AccessDecorator =>
  accessMetadata(PERMISSIONS_KEY, requirement(permissions, 'all'));
