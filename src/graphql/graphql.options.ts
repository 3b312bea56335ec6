import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolveContext } from '../core/options/core.options';
import {
  optionKeys,
  readBoolean,
  readNumber,
  readSection,
  readStrictSection,
  readStringArray,
  refuseUnknownKeys,
} from '../core/options/validate.util';

/**
 * The cost budget of each caller: every operation's cost (see {@link GraphqlOptions.maxCost}) is
 * taken from it before execution, per principal when authenticated, per client IP otherwise.
 *
 * @publicApi
 */
export interface GraphqlBudgetOptions {
  /**
   * Points a caller may spend per window.
   * @default 10000
   */
  points?: number;
  /**
   * Window length in seconds (a sliding window, like the REST rate limits).
   * @default 60
   */
  windowSec?: number;
}

/**
 * The GraphQL layer: limits measured before execution (fragments expanded), the schema-aware cost
 * and the per-caller cost budget, error masking, introspection and suggestions. Applied by
 * `SecurityGraphQL` (Apollo and Mercurius) and, for the document limits alone, by
 * `createGraphqlValidationRules()`.
 *
 * @publicApi
 */
export interface GraphqlOptions {
  /**
   * Turns the GraphQL layer on or off (`createGraphqlValidationRules` returns `[]` when off).
   * @default true
   */
  enabled?: boolean;
  /**
   * Deepest selection nesting accepted (fragments expanded; a leaf field is depth 1).
   * @default 10
   */
  maxDepth?: number;
  /**
   * Most aliases in one operation (alias-based batching attacks), fragments counted at every
   * spread, `__typename` aliases included.
   * @default 15
   */
  maxAliases?: number;
  /**
   * Most directives in one operation, fragments counted at every spread.
   * @default 50
   */
  maxDirectives?: number;
  /**
   * Most lexical tokens in a document, enforced by the parser itself: a larger document is refused
   * without building its syntax tree.
   * @default 2000
   */
  maxTokens?: number;
  /**
   * Most operations in one HTTP request. `1` turns batching (array bodies) off.
   * @default 1
   */
  maxBatchSize?: number;
  /**
   * Highest cost an operation may have, computed from the schema with the request's variables:
   * a field costs its `complexity` (`@Field({ complexity })`, `@Query(() => T, { complexity })`)
   * or 1, plus, for a field with a selection, the cost of its selection multiplied, on list fields,
   * by the list size argument (see `listArguments`), or `defaultListSize` when absent.
   * `__typename` is free.
   * @default 5000
   */
  maxCost?: number;
  /**
   * List size assumed for a list field called without a size argument.
   * @default 20
   */
  defaultListSize?: number;
  /**
   * Arguments that give a list field's size (the largest one given counts).
   * @default ['first', 'last', 'limit']
   */
  listArguments?: string[];
  /**
   * The cost budget per caller (memory or Redis storage, like the REST rate limits), or `false`.
   * @default { points: 10000, windowSec: 60 }
   */
  budget?: GraphqlBudgetOptions | false;
  /**
   * Whether `__schema` / `__type` introspection is allowed.
   * @default true, except in the production profile
   */
  introspection?: boolean;
  /**
   * Whether error messages may carry "Did you mean ...?" field suggestions (they reveal the schema).
   * @default true, except in the production profile
   */
  suggestions?: boolean;
  /**
   * Trusted documents: when set, only operations whose document text hashes (SHA-256, lowercase
   * hex, of the exact `query` string) to one of these run; any other is refused with
   * `GRAPHQL_UNTRUSTED_DOCUMENT` before execution. Build the list from your clients' operations.
   * @default undefined (any document)
   */
  trustedDocuments?: string[];
}

/**
 * The GraphQL limits in force (every option of {@link GraphqlOptions} resolved), as
 * `SecuritySettings.graphql` gives them to `createGraphqlValidationRules()`.
 *
 * @publicApi
 */
export interface GraphqlLimits {
  readonly enabled: boolean;
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  readonly maxTokens: number;
  readonly maxBatchSize: number;
  readonly maxCost: number;
  readonly defaultListSize: number;
  readonly listArguments: readonly string[];
  readonly budget: Readonly<Required<GraphqlBudgetOptions>> | false;
  readonly introspection: boolean;
  readonly suggestions: boolean;
  readonly trustedDocuments: ReadonlySet<string> | undefined;
}

/** @internal */
export interface ResolvedGraphqlOptions extends GraphqlLimits {
  /** Whether the production profile is in force (error masking, no GraphiQL). */
  readonly production: boolean;
}

const GRAPHQL_KEYS = optionKeys<GraphqlOptions>()([
  'enabled',
  'maxDepth',
  'maxAliases',
  'maxDirectives',
  'maxTokens',
  'maxBatchSize',
  'maxCost',
  'defaultListSize',
  'listArguments',
  'budget',
  'introspection',
  'suggestions',
  'trustedDocuments',
]);

const BUDGET_KEYS = optionKeys<GraphqlBudgetOptions>()(['points', 'windowSec']);

function resolveBudget(raw: Record<string, unknown>, path: string): ResolvedGraphqlOptions['budget'] {
  const value = raw.budget;
  if (value === false) return false;
  const budgetPath = `${path}.budget`;
  const section = readSection(value, budgetPath);
  refuseUnknownKeys(section, BUDGET_KEYS, budgetPath);
  return {
    points: readNumber(section, 'points', budgetPath, 10_000, { min: 1, max: 1_000_000_000, integer: true }),
    windowSec: readNumber(section, 'windowSec', budgetPath, 60, { min: 1, max: 86_400, integer: true }),
  };
}

function resolveTrusted(raw: Record<string, unknown>, path: string): ReadonlySet<string> | undefined {
  if (raw.trustedDocuments === undefined) return undefined;
  const hashes = readStringArray(raw, 'trustedDocuments', path, []);
  hashes.forEach((hash, i) => {
    if (!/^[0-9a-f]{64}$/.test(hash)) {
      throw SecurityConfigError.create(
        `${path}.trustedDocuments[${i}]`,
        'is not a SHA-256 hash (64 lowercase hex characters)',
        'Hash each document with sha256 and list the hex digests',
      );
    }
  });
  return new Set(hashes);
}

/** Validates `graphql` once at boot. @internal */
export function resolveGraphqlOptions(value: unknown, ctx: ResolveContext, path = 'graphql'): ResolvedGraphqlOptions {
  const raw = readStrictSection(value, GRAPHQL_KEYS, path);
  const production = ctx.profile === 'production';
  const resolved: ResolvedGraphqlOptions = {
    enabled: readBoolean(raw, 'enabled', path, true),
    maxDepth: readNumber(raw, 'maxDepth', path, 10, { min: 1, max: 100, integer: true }),
    maxAliases: readNumber(raw, 'maxAliases', path, 15, { min: 0, max: 1000, integer: true }),
    maxDirectives: readNumber(raw, 'maxDirectives', path, 50, { min: 0, max: 1000, integer: true }),
    maxTokens: readNumber(raw, 'maxTokens', path, 2000, { min: 10, max: 1_000_000, integer: true }),
    maxBatchSize: readNumber(raw, 'maxBatchSize', path, 1, { min: 1, max: 100, integer: true }),
    maxCost: readNumber(raw, 'maxCost', path, 5000, { min: 1, max: 1_000_000_000, integer: true }),
    defaultListSize: readNumber(raw, 'defaultListSize', path, 20, { min: 1, max: 1_000_000, integer: true }),
    listArguments: readStringArray(raw, 'listArguments', path, ['first', 'last', 'limit']),
    budget: resolveBudget(raw, path),
    introspection: readBoolean(raw, 'introspection', path, !production),
    suggestions: readBoolean(raw, 'suggestions', path, !production),
    trustedDocuments: resolveTrusted(raw, path),
    production,
  };
  if (resolved.budget && resolved.maxCost > resolved.budget.points) {
    throw SecurityConfigError.create(
      `${path}.maxCost`,
      `(${resolved.maxCost}) is larger than ${path}.budget.points (${resolved.budget.points}), so an accepted operation could never be afforded`,
      `Lower ${path}.maxCost or raise ${path}.budget.points`,
    );
  }
  return resolved;
}
