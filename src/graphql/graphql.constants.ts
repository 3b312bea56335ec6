/**
 * The `extensions.code` of every error the GraphQL layer itself raises. Errors from guards carry
 * the library's usual codes (`AUTHENTICATION_REQUIRED`, `FORBIDDEN`, `RATE_LIMITED`...).
 *
 * @publicApi
 */
export const GraphqlErrorCode = {
  DEPTH_LIMIT: 'GRAPHQL_DEPTH_LIMIT',
  ALIAS_LIMIT: 'GRAPHQL_ALIAS_LIMIT',
  DIRECTIVE_LIMIT: 'GRAPHQL_DIRECTIVE_LIMIT',
  TOKEN_LIMIT: 'GRAPHQL_TOKEN_LIMIT',
  COST_LIMIT: 'GRAPHQL_COST_LIMIT',
  BATCH_LIMIT: 'GRAPHQL_BATCH_LIMIT',
  INTROSPECTION_DISABLED: 'GRAPHQL_INTROSPECTION_DISABLED',
  UNTRUSTED_DOCUMENT: 'GRAPHQL_UNTRUSTED_DOCUMENT',
  PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  BAD_REQUEST: 'BAD_REQUEST',
} as const;

/** @publicApi */
export type GraphqlErrorCode = (typeof GraphqlErrorCode)[keyof typeof GraphqlErrorCode];

/** Key of the operation's cost on the GraphQL context object. @internal */
export const GRAPHQL_COST = Symbol.for('nestjs-rampart:graphql-cost');
