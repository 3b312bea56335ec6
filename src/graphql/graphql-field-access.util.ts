import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import type { FieldAccessCheck, FieldAccessPolicy, ProtectedObjectField } from '../core/context/field-access.interface';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { loadGraphql } from './load-graphql.util';

type ObjectTypeClass = abstract new (...args: never[]) => unknown;

/** What the field protection reads of `@nestjs/graphql`'s public `TypeMetadataStorage`. */
interface ObjectTypeMetadataLike {
  name: string;
  target: ObjectTypeClass;
  properties?: readonly { name: string; schemaName: string }[];
}

/** The code-first `@ObjectType()` classes, by GraphQL type name (several when two share one). @internal */
export function objectTypeClasses(): Map<string, ObjectTypeMetadataLike[]> {
  let storage: { getObjectTypesMetadata(): ObjectTypeMetadataLike[] };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    storage = (require('@nestjs/graphql') as { TypeMetadataStorage: typeof storage }).TypeMetadataStorage;
  } catch {
    return new Map();
  }
  const byName = new Map<string, ObjectTypeMetadataLike[]>();
  for (const meta of storage.getObjectTypesMetadata()) {
    const list = byName.get(meta.name) ?? [];
    if (!list.some((m) => m.target === meta.target)) list.push(meta);
    byName.set(meta.name, list);
  }
  return byName;
}

/** The request the GraphQL layer put on the context (`SecurityGraphQL`'s context function). */
function requestOf(context: unknown): object {
  const holder = context as { req?: unknown; request?: unknown } | undefined;
  const req = holder?.req ?? holder?.request;
  // No request (a server not wired by SecurityGraphQL): the check sees an unauthenticated caller.
  return req !== null && typeof req === 'object' ? req : {};
}

/**
 * Applies `@Roles()` / `@Permissions()` written on properties of code-first object types: the
 * resolver of each protected field (the default property read, or a `@ResolveField`) runs only
 * after the check passes; otherwise the field is `null` with the check's error. Fields without a
 * rule are left untouched, so they cost nothing per request. A protected field must be nullable:
 * a refusal on a non-null field would null its whole parent, so that is refused at boot. Each
 * protected field (per class property) is appended to `found`, for the route inventory.
 *
 * @internal
 */
export function protectObjectFields(
  schema: GraphQLSchema,
  policy: FieldAccessPolicy,
  found: ProtectedObjectField[] = [],
): GraphQLSchema {
  const { defaultFieldResolver, isNonNullType, isObjectType } = loadGraphql();
  const classes = objectTypeClasses();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type)) continue;
    const metas = classes.get(type.name);
    if (!metas) continue;
    for (const field of Object.values(type.getFields())) {
      const checks: FieldAccessCheck[] = [];
      for (const meta of metas) {
        const property = meta.properties?.find((p) => p.schemaName === field.name)?.name ?? field.name;
        const check = policy.fieldCheck(meta.target, property);
        if (!check) continue;
        checks.push(check);
        found.push({ type: type.name, field: field.name, cls: meta.target, property });
      }
      if (checks.length === 0) continue;
      if (isNonNullType(field.type)) {
        throw SecurityConfigError.create(
          `@Roles()/@Permissions() on ${type.name}.${field.name}`,
          'protect a non-null field: a refusal would null its parent object',
          'Declare the field nullable: @Field(() => T, { nullable: true })',
        );
      }
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const request = requestOf(context);
        for (const check of checks) check(request);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
