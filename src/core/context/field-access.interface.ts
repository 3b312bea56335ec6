/**
 * A check of one GraphQL object field for the request that resolves it: returns when the caller
 * may read the field, throws the refusal (an `HttpException` with a stable `code`) otherwise.
 *
 * @internal
 */
export type FieldAccessCheck = (request: object) => void;

/**
 * The seam between the GraphQL layer and authorization: the GraphQL layer finds the properties of
 * code-first `@ObjectType` classes behind each schema field, and authorization decides, from the
 * property's own `@Roles()` / `@Permissions()`, who may read it. Compiled once per field at boot.
 *
 * @internal
 */
export interface FieldAccessPolicy {
  /**
   * The check for `property` of the object type class `type`, or `undefined` when the property
   * carries no rule. Throws `SecurityConfigError` for an unknown role or permission.
   */
  fieldCheck(type: abstract new (...args: never[]) => unknown, property: string): FieldAccessCheck | undefined;
}
