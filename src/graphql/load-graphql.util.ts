import type { defaultFieldResolver, DocumentNode, GraphQLError, isNonNullType, isObjectType } from 'graphql';
import { SecurityConfigError } from '../core/errors/security-config.error';

/** What the GraphQL layer uses of the optional peer `graphql` at run time. @internal */
export interface GraphqlModule {
  GraphQLError: typeof GraphQLError;
  getIntrospectionQuery(): string;
  parse(source: string): DocumentNode;
  defaultFieldResolver: typeof defaultFieldResolver;
  isNonNullType: typeof isNonNullType;
  isObjectType: typeof isObjectType;
}

/** Loads the optional peer `graphql` (16.x) only when the GraphQL layer is used. @internal */
export function loadGraphql(): GraphqlModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('graphql') as GraphqlModule;
  } catch {
    throw SecurityConfigError.create('graphql', 'needs the package "graphql"', 'Run `npm install graphql@16`');
  }
}
