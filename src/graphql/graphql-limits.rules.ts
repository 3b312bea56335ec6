import type {
  ASTVisitor,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLError as GraphQLErrorType,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { GraphqlLimits } from './graphql.options';

interface GraphqlModule {
  GraphQLError: typeof GraphQLErrorType;
  getIntrospectionQuery(): string;
  parse(source: string): DocumentNode;
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
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/** What a selection set measures. Values saturate just past their limit (see `Measurer`). */
interface Measure {
  /** Nesting depth below the set (a leaf field is 1). */
  depth: number;
  cost: number;
  /** Aliased fields, fragments counted at every spread. */
  aliases: number;
  /** Some field in it is nested deeper than its room allows. */
  tooDeep: boolean;
}

interface Limits {
  maxDepth: number;
  maxComplexity: number;
  maxAliases: number;
  maxListSize: number;
  /** Depth allowed under `__schema` / `__type` at the root: the standard introspection query's. */
  introspectionDepth: number;
}

const EMPTY: Measure = { depth: 0, cost: 0, aliases: 0, tooDeep: false };

/**
 * Measures one operation: depth, cost and aliases with fragments expanded at every spread. Each
 * fragment is measured once and memoized (a spread reuses the result), so fragments spreading
 * fragments cost linear time, not exponential; values saturate just past their limit and a set
 * stops being measured as soon as a limit is exceeded, so numbers never blow up either. A
 * fragment cycle contributes nothing (graphql's own NoFragmentCycles rule reports it).
 */
class Measurer {
  private readonly memo = new Map<string, Measure>();
  private readonly visiting = new Set<string>();
  /** The deepest room any set is measured with: fragments are measured once, with it. */
  private readonly maxRoom: number;

  constructor(
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly limits: Limits,
    private readonly listSizeOf: (field: FieldNode) => number,
  ) {
    this.maxRoom = Math.max(limits.maxDepth, limits.introspectionDepth);
  }

  /** Whether `m` already breaks a limit (measuring further cannot change the verdict). */
  exceeded(m: Measure): boolean {
    return m.tooDeep || m.cost > this.limits.maxComplexity || m.aliases > this.limits.maxAliases;
  }

  /** Measures `set` where `room` more levels fit within the depth limit. */
  measure(set: SelectionSetNode | undefined, room: number, root = false): Measure {
    if (!set) return EMPTY;
    const total: Measure = { depth: 0, cost: 0, aliases: 0, tooDeep: false };
    for (const selection of set.selections) {
      const part =
        selection.kind === 'Field'
          ? this.field(selection, root && INTROSPECTION_ROOTS.has(selection.name.value) ? this.maxRoom : room)
          : selection.kind === 'InlineFragment'
            ? this.measure(selection.selectionSet, room)
            : this.spread(selection.name.value, room);
      total.depth = Math.max(total.depth, part.depth);
      total.cost = Math.min(total.cost + part.cost, this.limits.maxComplexity + 1);
      total.aliases = Math.min(total.aliases + part.aliases, this.limits.maxAliases + 1);
      total.tooDeep ||= part.tooDeep;
      if (this.exceeded(total)) break;
    }
    return total;
  }

  private field(field: FieldNode, room: number): Measure {
    const aliases = field.alias ? 1 : 0;
    // Only __typename is free: __schema / __type are measured like any field.
    if (field.name.value === '__typename') return { ...EMPTY, aliases };
    if (room < 1) return { depth: 1, cost: 1, aliases, tooDeep: true };
    const child = this.measure(field.selectionSet, room - 1);
    const cost = 1 + child.cost * (field.selectionSet ? this.listSizeOf(field) : 1);
    return {
      depth: child.depth + 1,
      cost: Math.min(cost, this.limits.maxComplexity + 1),
      aliases: Math.min(aliases + child.aliases, this.limits.maxAliases + 1),
      tooDeep: child.tooDeep,
    };
  }

  private spread(name: string, room: number): Measure {
    const fragment = this.fragments.get(name);
    if (!fragment || this.visiting.has(name)) return EMPTY;
    let measured = this.memo.get(name);
    if (!measured) {
      this.visiting.add(name);
      measured = this.measure(fragment.selectionSet, this.maxRoom);
      this.visiting.delete(name);
      this.memo.set(name, measured);
    }
    // Measured once with the largest room: its depth is exact up to there, so compare it here.
    return measured.depth > room ? { ...measured, tooDeep: true } : measured;
  }
}

/** Depth of graphql-js's own introspection query (GraphiQL, Apollo Sandbox send it). */
let standardIntrospectionDepth: number | undefined;

function introspectionDepth(gql: GraphqlModule): number {
  if (standardIntrospectionDepth === undefined) {
    const document = gql.parse(gql.getIntrospectionQuery());
    const fragments = fragmentsOf(document);
    const unlimited: Limits = {
      maxDepth: 100,
      maxComplexity: Number.MAX_SAFE_INTEGER,
      maxAliases: Number.MAX_SAFE_INTEGER,
      maxListSize: 1,
      introspectionDepth: 0,
    };
    const operation = document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
    standardIntrospectionDepth = new Measurer(fragments, unlimited, () => 1).measure(operation.selectionSet, 100).depth;
  }
  return standardIntrospectionDepth;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === 'FragmentDefinition') fragments.set(def.name.value, def);
  return fragments;
}

/**
 * The list size a field multiplies its selection's cost by: the largest `first` / `last` /
 * `limit` argument. A literal counts as written; a variable counts as its value when the rules
 * were given one, else as `maxListSize`, or its default when that is larger: the client may send
 * any value at run time (and servers such as Apollo validate a document once for all variables).
 */
function listSizer(
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  maxListSize: number,
): (field: FieldNode) => number {
  const defaults = new Map<string, number>();
  for (const definition of operation.variableDefinitions ?? []) {
    const value = definition.defaultValue;
    if (value?.kind === 'IntValue') defaults.set(definition.variable.name.value, Number(value.value));
  }
  return (field) => {
    let size = 1;
    for (const arg of field.arguments ?? []) {
      if (!LIST_ARGS.has(arg.name.value)) continue;
      if (arg.value.kind === 'IntValue') size = Math.max(size, Number(arg.value.value));
      else if (arg.value.kind === 'Variable') {
        const name = arg.value.name.value;
        const given = variables[name];
        size = Math.max(
          size,
          typeof given === 'number' && Number.isFinite(given) ? given : Math.max(maxListSize, defaults.get(name) ?? 0),
        );
      }
    }
    return size;
  };
}

/**
 * graphql-js validation rules enforcing the `graphql` options: maximum depth, maximum cost,
 * maximum aliases (fragments expanded at every spread), and (when `introspection: false`) no
 * `__schema`/`__type`. Only `__typename` is free; `__schema`/`__type` subtrees are measured too,
 * and may be as deep as graphql-js's standard introspection query when that is deeper than
 * `maxDepth`. A `first`/`last`/`limit` given as a variable counts as `maxListSize` unless the
 * rules were created with that variable's value. Pass them to Apollo or Mercurius as
 * `validationRules`. Errors are generic and carry `extensions.code` (`GRAPHQL_DEPTH_LIMIT`,
 * `GRAPHQL_COMPLEXITY_LIMIT`, `GRAPHQL_ALIAS_LIMIT`, `GRAPHQL_INTROSPECTION_DISABLED`). Needs the
 * optional peer `graphql` 16.
 *
 * @example
 * ```ts
 * GraphQLModule.forRootAsync<ApolloDriverConfig>({
 *   driver: ApolloDriver,
 *   inject: [SecuritySettings],
 *   useFactory: (settings: SecuritySettings) => ({
 *     validationRules: createGraphqlValidationRules(settings.graphql),
 *   }),
 * });
 * ```
 * @publicApi
 */
export function createGraphqlValidationRules(
  options: GraphqlLimits,
  variables: Record<string, unknown> = {},
): ValidationRule[] {
  if (!options.enabled) return [];
  const gql = loadGraphql();
  const fail = (context: ValidationContext, code: string, message: string) =>
    context.reportError(new gql.GraphQLError(message, { extensions: { code } }));
  const limits: Limits = {
    maxDepth: options.maxDepth,
    maxComplexity: options.maxComplexity,
    maxAliases: options.maxAliases,
    maxListSize: options.maxListSize,
    introspectionDepth: options.introspection ? introspectionDepth(gql) : 0,
  };

  const measureRule: ValidationRule = (context): ASTVisitor => ({
    Document(document) {
      const fragments = fragmentsOf(document);
      for (const def of document.definitions) {
        if (def.kind !== 'OperationDefinition') continue;
        const sizer = listSizer(def, variables, options.maxListSize);
        const m = new Measurer(fragments, limits, sizer).measure(def.selectionSet, options.maxDepth, true);
        if (m.tooDeep) fail(context, 'GRAPHQL_DEPTH_LIMIT', `Query is too deep (maximum depth ${options.maxDepth})`);
        if (m.cost > options.maxComplexity) {
          fail(context, 'GRAPHQL_COMPLEXITY_LIMIT', `Query is too complex (maximum cost ${options.maxComplexity})`);
        }
        if (m.aliases > options.maxAliases) {
          fail(context, 'GRAPHQL_ALIAS_LIMIT', `Too many aliases (maximum ${options.maxAliases})`);
        }
      }
    },
  });

  const rules = [measureRule];
  if (!options.introspection) {
    rules.push((context): ASTVisitor => ({
      Field(node) {
        if (INTROSPECTION_ROOTS.has(node.name.value)) {
          fail(context, 'GRAPHQL_INTROSPECTION_DISABLED', 'Introspection is disabled');
        }
      },
    }));
  }
  return rules;
}
