import type { ExecutionContext } from '@nestjs/common';

interface ResolveInfoLike {
  path?: { prev?: unknown };
}

/**
 * Whether `ctx` is a GraphQL field resolver below the root (`@ResolveField`), as opposed to a
 * query, mutation or subscription field. Request-level stages (rate limits, signatures, header
 * guards) act once per root field and skip these, which run once per parent object.
 *
 * @internal
 */
export function isNestedGraphqlField(ctx: ExecutionContext): boolean {
  if (ctx.getType<string>() !== 'graphql') return false;
  const info = ctx.getArgByIndex<ResolveInfoLike | undefined>(3);
  return info?.path?.prev !== undefined;
}

const FIELD_RESOURCES = Symbol.for('nestjs-rampart:field-resources');

/**
 * The resources the ownership guard loaded for one GraphQL field call, kept on that call's resolve
 * info (the object Nest hands to its guards and to its parameter decorators alike). A GraphQL
 * request may check several ids at once (`a: document(id: 1) b: document(id: 2)`), so a resource
 * is never shared through the request. `undefined` outside GraphQL.
 *
 * @internal
 */
export function graphqlFieldResources(ctx: ExecutionContext): Map<string, unknown> | undefined {
  if (ctx.getType<string>() !== 'graphql') return undefined;
  const info = ctx.getArgByIndex<Record<symbol, Map<string, unknown> | undefined> | undefined>(3);
  if (!info || typeof info !== 'object') return undefined;
  return (info[FIELD_RESOURCES] ??= new Map());
}
