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

/** One object type field protected by `@Roles()` / `@Permissions()` on its class property. @internal */
export interface ProtectedObjectField {
  /** The GraphQL type name (`Document`). */
  type: string;
  /** The schema field name (`revision`). */
  field: string;
  /** The `@ObjectType()` class and the property that carries the rule. */
  cls: abstract new (...args: never[]) => unknown;
  property: string;
}

/**
 * The seam between the GraphQL layer and the inventory: the object type fields the served schema
 * protects with a property `@Roles()` / `@Permissions()`, known once the schema is built.
 *
 * @internal
 */
export interface ProtectedFieldCatalog {
  /** The protected fields of the schema, or `undefined` before it is built. */
  protectedFields(): readonly ProtectedObjectField[] | undefined;
}
