import type { ResolveContext } from '../core/options/core.options';
import { optionKeys, readBoolean, readNumber, readStrictSection } from '../core/options/validate.util';

/**
 * GraphQL limits, applied by the validation rules from `createGraphqlValidationRules()`.
 *
 * @publicApi
 */
export interface GraphqlOptions {
  /**
   * Turns the rules on or off (`createGraphqlValidationRules` returns `[]` when off).
   * @default true
   */
  enabled?: boolean;
  /**
   * Deepest selection nesting accepted (fragments expanded).
   * @default 10
   */
  maxDepth?: number;
  /**
   * Highest query cost accepted: each field costs 1, and a field with a `first`, `last` or
   * `limit` argument multiplies the cost of its selection by that number (fragments expanded at
   * every spread; only `__typename` is free).
   * @default 1000
   */
  maxComplexity?: number;
  /**
   * List size assumed for a `first` / `last` / `limit` given as a variable: the client may send
   * any value, and servers validate a document once for all variables. Set it to the largest page
   * your resolvers return (a variable's default counts when larger).
   * @default 100
   */
  maxListSize?: number;
  /**
   * Most aliases in one operation (alias-based batching attacks), fragments counted at every
   * spread.
   * @default 15
   */
  maxAliases?: number;
  /**
   * Whether `__schema` / `__type` introspection is allowed.
   * @default true, except in the production profile
   */
  introspection?: boolean;
}

/**
 * The GraphQL limits in force (every option of {@link GraphqlOptions} resolved), as
 * `SecuritySettings.graphql` gives them to `createGraphqlValidationRules()`.
 *
 * @publicApi
 */
export type GraphqlLimits = Readonly<Required<GraphqlOptions>>;

/** @internal */
export type ResolvedGraphqlOptions = GraphqlLimits;

const GRAPHQL_KEYS = optionKeys<GraphqlOptions>()([
  'enabled',
  'maxDepth',
  'maxComplexity',
  'maxListSize',
  'maxAliases',
  'introspection',
]);

/** Validates `graphql` once at boot. @internal */
export function resolveGraphqlOptions(value: unknown, ctx: ResolveContext, path = 'graphql'): ResolvedGraphqlOptions {
  const raw = readStrictSection(value, GRAPHQL_KEYS, path);
  return {
    enabled: readBoolean(raw, 'enabled', path, true),
    maxDepth: readNumber(raw, 'maxDepth', path, 10, { min: 1, max: 100, integer: true }),
    maxComplexity: readNumber(raw, 'maxComplexity', path, 1000, { min: 1, max: 1_000_000, integer: true }),
    maxListSize: readNumber(raw, 'maxListSize', path, 100, { min: 1, max: 1_000_000, integer: true }),
    maxAliases: readNumber(raw, 'maxAliases', path, 15, { min: 0, max: 1000, integer: true }),
    introspection: readBoolean(raw, 'introspection', path, ctx.profile !== 'production'),
  };
}
