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
