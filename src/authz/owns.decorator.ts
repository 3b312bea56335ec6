import { OWNS_KEY, type OwnsRule } from './authorization.constants';
import { appendRule } from './append-rule.util';

/** Options of {@link Owns}. @publicApi */
export interface OwnsOptions {
  /**
   * Route parameter holding the resource id.
   * @default 'id'
   */
  param?: string;
  /**
   * Roles that pass without owning the resource, for this route. `[]` turns the
   * `authorization.ownership.overrideRoles` default off here.
   * @default authorization.ownership.overrideRoles
   */
  overrideRoles?: string[];
  /**
   * Status when the caller is not the owner.
   * @default authorization.ownership.notOwnerStatus (404)
   */
  notOwnerStatus?: 403 | 404;
}

/**
 * Requires the caller to own the resource named by a route parameter. The resource loader
 * registered for `resource` loads it once; a missing resource is a 404, a resource owned by
 * someone else a 404 too by default (or 403), and the handler receives it through
 * `@LoadedResource()`. Several `@Owns()` (e.g. on the controller and the method) all apply. An
 * unknown resource type fails at boot.
 *
 * @example
 * ```ts
 * @Owns('document', { param: 'id' })
 * @Get(':id')
 * get(@LoadedResource() doc: DocumentRecord) { return doc; }
 * ```
 * @publicApi
 */
export const Owns = (resource: string, options: OwnsOptions = {}): MethodDecorator & ClassDecorator =>
  appendRule<OwnsRule>(OWNS_KEY, {
    resource,
    param: options.param ?? 'id',
    overrideRoles: options.overrideRoles ? [...options.overrideRoles] : undefined,
    notOwnerStatus: options.notOwnerStatus,
  });
