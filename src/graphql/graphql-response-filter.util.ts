import type { GraphQLField, GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import { takeGraphqlFilter } from '../core/context/pending-response-filter.util';
import { loadGraphql } from './load-graphql.util';

/** The request the GraphQL layer put on the context (`SecurityGraphQL`'s context function). */
function requestOf(context: unknown): object | undefined {
  const holder = context as { req?: unknown; request?: unknown } | undefined;
  const req = holder?.req ?? holder?.request;
  return req !== null && typeof req === 'object' ? req : undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function wrap(
  field: GraphQLField<unknown, unknown>,
  resolve: GraphQLFieldResolver<unknown, unknown>,
  byName: boolean,
): void {
  field.resolve = (source, args, context, info) => {
    const result = resolve(source, args, context, info);
    const finish = (value: unknown): unknown => {
      const request = requestOf(context);
      const filter = request ? takeGraphqlFilter(request, info) : undefined;
      if (!filter || !request) return value;
      // An object's field whose own name is denylisted reads null, whatever its resolver returned
      // (as the key of a returned object would be stripped).
      return byName && filter.denies(info.fieldName) ? null : filter.apply(value, request);
    };
    return isThenable(result) ? result.then(finish) : finish(result);
  };
}

/**
 * Applies response filtering to what resolvers return: the filtering guard records the
 * resolver's filter (its `@Serialize()` DTO, the denylist, its `@AllowSensitiveFields()`) under
 * the field's resolve info, and the field's resolver applies it to the result, once (not again
 * when the idempotency interceptor already did). So a field the schema declares with a
 * denylisted name reads `null` below a query, a mutation or a `@ResolveField`, and a
 * `@ResolveField` named like a sensitive field (`password`) reads `null` itself (a query or mutation
 * is not judged by its name). Wrapped: the
 * query and mutation fields, and the object fields that have a resolver of their own (Nest's
 * `@ResolveField`s); fields read from their parent object cost nothing more per request.
 *
 * @internal
 */
export function filterResolverResults(schema: GraphQLSchema): GraphQLSchema {
  const { defaultFieldResolver, isObjectType } = loadGraphql();
  const roots = new Set([schema.getQueryType(), schema.getMutationType()].filter((t) => t !== null && t !== undefined));
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const root = roots.has(type);
    if (!root && type === schema.getSubscriptionType()) continue;
    for (const field of Object.values(type.getFields())) {
      if (root) wrap(field, field.resolve ?? defaultFieldResolver, false);
      else if (field.resolve && field.resolve !== defaultFieldResolver) wrap(field, field.resolve, true);
    }
  }
  return schema;
}
