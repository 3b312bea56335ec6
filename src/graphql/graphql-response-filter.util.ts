import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
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

/**
 * Applies response filtering to what query and mutation resolvers return: the filtering guard
 * records the resolver's filter (its `@Serialize()` DTO, the denylist, its
 * `@AllowSensitiveFields()`) under the field's resolve info, and the root field's resolver applies
 * it to the result, once (not again when the idempotency interceptor already did). So a field the
 * schema declares with a denylisted name reads `null` below them. Only root fields are wrapped;
 * the fields below them cost nothing more per request.
 *
 * @internal
 */
export function filterRootResults(schema: GraphQLSchema): GraphQLSchema {
  const { defaultFieldResolver } = loadGraphql();
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const result = resolve(source, args, context, info);
        const finish = (value: unknown): unknown => {
          const request = requestOf(context);
          const filter = request ? takeGraphqlFilter(request, info) : undefined;
          return filter && request ? filter.apply(value, request) : value;
        };
        return isThenable(result) ? result.then(finish) : finish(result);
      };
    }
  }
  return schema;
}
