import type {
  ASTVisitor,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLError as GraphQLErrorType,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolvedGraphqlOptions } from '../core/options/graphql.options';

interface GraphqlModule {
  GraphQLError: typeof GraphQLErrorType;
  Kind: { FIELD: 'Field'; FRAGMENT_SPREAD: 'FragmentSpread'; INLINE_FRAGMENT: 'InlineFragment'; INT: 'IntValue' };
}

/** Loads the optional peer `graphql` (16.x) only when GraphQL limits are used. */
function loadGraphql(): GraphqlModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('graphql') as GraphqlModule;
  } catch {
    throw SecurityConfigError.create('graphql', 'limits need the package "graphql"', 'Run `npm install graphql@16`');
  }
}

const LIST_ARGS = new Set(['first', 'last', 'limit']);

interface Measure {
  depth: number;
  cost: number;
}

/** Depth and cost of a selection set, fragments expanded once per path (cycles stop). */
function measure(
  set: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  gql: GraphqlModule,
  variables: Record<string, unknown>,
  visiting: Set<string>,
): Measure {
  if (!set) return { depth: 0, cost: 0 };
  let depth = 0;
  let cost = 0;
  for (const selection of set.selections) {
    if (selection.kind === gql.Kind.FIELD) {
      const field = selection as FieldNode;
      if (field.name.value.startsWith('__')) continue;
      const child = measure(field.selectionSet, fragments, gql, variables, visiting);
      depth = Math.max(depth, field.selectionSet ? child.depth + 1 : 1);
      cost += 1 + child.cost * multiplier(field, gql, variables);
    } else {
      const spread = selection.kind === gql.Kind.FRAGMENT_SPREAD ? fragments[selection.name.value] : undefined;
      const inner = selection.kind === gql.Kind.INLINE_FRAGMENT ? selection.selectionSet : spread?.selectionSet;
      const name = selection.kind === gql.Kind.FRAGMENT_SPREAD ? selection.name.value : undefined;
      if (name && visiting.has(name)) continue;
      if (name) visiting.add(name);
      const child = measure(inner, fragments, gql, variables, visiting);
      if (name) visiting.delete(name);
      depth = Math.max(depth, child.depth);
      cost += child.cost;
    }
  }
  return { depth, cost };
}

function multiplier(field: FieldNode, gql: GraphqlModule, variables: Record<string, unknown>): number {
  for (const arg of field.arguments ?? []) {
    if (!LIST_ARGS.has(arg.name.value)) continue;
    if (arg.value.kind === gql.Kind.INT) return Math.max(1, Number(arg.value.value));
    if (arg.value.kind === 'Variable') {
      const v = variables[arg.value.name.value];
      if (typeof v === 'number' && Number.isFinite(v)) return Math.max(1, v);
    }
  }
  return 1;
}

/**
 * graphql-js validation rules enforcing the `graphql` options: maximum depth, maximum cost,
 * maximum aliases, and (when `introspection: false`) no `__schema`/`__type`. Pass them to Apollo or
 * Mercurius as `validationRules`. Errors are generic and carry `extensions.code`
 * (`GRAPHQL_DEPTH_LIMIT`, `GRAPHQL_COMPLEXITY_LIMIT`, `GRAPHQL_ALIAS_LIMIT`,
 * `GRAPHQL_INTROSPECTION_DISABLED`). Needs the optional peer `graphql` 16.
 *
 * @example
 * ```ts
 * GraphQLModule.forRootAsync<ApolloDriverConfig>({
 *   driver: ApolloDriver,
 *   inject: [SECURITY_OPTIONS],
 *   useFactory: (o: ResolvedSecurityOptions) => ({ validationRules: createGraphqlValidationRules(o.graphql) }),
 * });
 * ```
 * @publicApi
 */
export function createGraphqlValidationRules(
  options: ResolvedGraphqlOptions,
  variables: Record<string, unknown> = {},
): ValidationRule[] {
  if (!options.enabled) return [];
  const gql = loadGraphql();
  const fail = (context: ValidationContext, code: string, message: string) =>
    context.reportError(new gql.GraphQLError(message, { extensions: { code } }));

  const limits: ValidationRule = (context): ASTVisitor => ({
    Document(document) {
      const fragments: Record<string, FragmentDefinitionNode> = {};
      for (const def of document.definitions) if (def.kind === 'FragmentDefinition') fragments[def.name.value] = def;
      for (const def of document.definitions) {
        if (def.kind !== 'OperationDefinition') continue;
        const { depth, cost } = measure(def.selectionSet, fragments, gql, variables, new Set());
        if (depth > options.maxDepth)
          fail(context, 'GRAPHQL_DEPTH_LIMIT', `Query is too deep (maximum depth ${options.maxDepth})`);
        if (cost > options.maxComplexity) {
          fail(context, 'GRAPHQL_COMPLEXITY_LIMIT', `Query is too complex (maximum cost ${options.maxComplexity})`);
        }
      }
    },
  });

  const aliases: ValidationRule = (context): ASTVisitor => {
    let count = 0;
    return {
      OperationDefinition: { enter: () => void (count = 0) },
      Field(node) {
        if (node.alias && ++count === options.maxAliases + 1) {
          fail(context, 'GRAPHQL_ALIAS_LIMIT', `Too many aliases (maximum ${options.maxAliases})`);
        }
      },
    };
  };

  const rules = [limits, aliases];
  if (!options.introspection) {
    rules.push((context): ASTVisitor => ({
      Field(node) {
        if (node.name.value === '__schema' || node.name.value === '__type') {
          fail(context, 'GRAPHQL_INTROSPECTION_DISABLED', 'Introspection is disabled');
        }
      },
    }));
  }
  return rules;
}
