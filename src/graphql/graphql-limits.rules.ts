import type {
  ASTVisitor,
  DirectiveNode,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLError as GraphQLErrorType,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { GraphqlErrorCode } from './graphql.constants';
import type { GraphqlLimits } from './graphql.options';
import { loadGraphql, type GraphqlModule } from './load-graphql.util';

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/** What a selection set measures. Values saturate just past their limit (see `Measurer`). */
interface Measure {
  /** Nesting depth below the set (a leaf field is 1). */
  depth: number;
  /** Aliased fields, fragments counted at every spread. */
  aliases: number;
  /** Directives used, fragments counted at every spread. */
  directives: number;
  /** Some field in it is nested deeper than its room allows. */
  tooDeep: boolean;
}

interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Depth allowed under `__schema` / `__type` at the root: the standard introspection query's. */
  introspectionDepth: number;
}

const EMPTY: Measure = { depth: 0, aliases: 0, directives: 0, tooDeep: false };

function count(directives: readonly DirectiveNode[] | undefined): number {
  return directives?.length ?? 0;
}

/**
 * Measures one operation: depth, aliases and directives with fragments expanded at every spread.
 * Each fragment is measured once and memoized (a spread reuses the result), so fragments
 * spreading fragments cost linear time, not exponential; values saturate just past their limit
 * and a set stops being measured as soon as a limit is exceeded, so numbers never blow up either.
 * A fragment cycle contributes nothing (graphql's own NoFragmentCycles rule reports it).
 */
class Measurer {
  private readonly memo = new Map<string, Measure>();
  private readonly visiting = new Set<string>();
  /** The deepest room any set is measured with: fragments are measured once, with it. */
  private readonly maxRoom: number;

  constructor(
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly limits: Limits,
  ) {
    this.maxRoom = Math.max(limits.maxDepth, limits.introspectionDepth);
  }

  /** Whether `m` already breaks a limit (measuring further cannot change the verdict). */
  exceeded(m: Measure): boolean {
    return m.tooDeep || m.aliases > this.limits.maxAliases || m.directives > this.limits.maxDirectives;
  }

  /** Measures `set` where `room` more levels fit within the depth limit. */
  measure(set: SelectionSetNode | undefined, room: number, root = false): Measure {
    if (!set) return EMPTY;
    const total: Measure = { depth: 0, aliases: 0, directives: 0, tooDeep: false };
    for (const selection of set.selections) {
      let part: Measure;
      if (selection.kind === 'Field') {
        part = this.field(selection, root && INTROSPECTION_ROOTS.has(selection.name.value) ? this.maxRoom : room);
      } else if (selection.kind === 'InlineFragment') {
        part = this.add(this.measure(selection.selectionSet, room), 0, count(selection.directives));
      } else {
        part = this.add(this.spread(selection.name.value, room), 0, count(selection.directives));
      }
      total.depth = Math.max(total.depth, part.depth);
      total.aliases = Math.min(total.aliases + part.aliases, this.limits.maxAliases + 1);
      total.directives = Math.min(total.directives + part.directives, this.limits.maxDirectives + 1);
      total.tooDeep ||= part.tooDeep;
      if (this.exceeded(total)) break;
    }
    return total;
  }

  private add(m: Measure, aliases: number, directives: number): Measure {
    if (aliases === 0 && directives === 0) return m;
    return {
      depth: m.depth,
      aliases: Math.min(m.aliases + aliases, this.limits.maxAliases + 1),
      directives: Math.min(m.directives + directives, this.limits.maxDirectives + 1),
      tooDeep: m.tooDeep,
    };
  }

  private field(field: FieldNode, room: number): Measure {
    const aliases = field.alias ? 1 : 0;
    const directives = count(field.directives);
    // __typename adds no depth, but its aliases and directives count (`a1: __typename` × 100k).
    if (field.name.value === '__typename') return { ...EMPTY, aliases, directives };
    if (room < 1) return { depth: 1, aliases, directives, tooDeep: true };
    const child = this.measure(field.selectionSet, room - 1);
    return this.add({ ...child, depth: child.depth + 1 }, aliases, directives);
  }

  private spread(name: string, room: number): Measure {
    const fragment = this.fragments.get(name);
    if (!fragment || this.visiting.has(name)) return EMPTY;
    let measured = this.memo.get(name);
    if (!measured) {
      this.visiting.add(name);
      measured = this.add(this.measure(fragment.selectionSet, this.maxRoom), 0, count(fragment.directives));
      this.visiting.delete(name);
      this.memo.set(name, measured);
    }
    // Measured once with the largest room: its depth is exact up to there, so compare it here.
    return measured.depth > room ? { ...measured, tooDeep: true } : measured;
  }
}

/** Depth of graphql-js's own introspection query (GraphiQL, Apollo Sandbox send it). */
function introspectionDepth(gql: GraphqlModule): number {
  const document = gql.parse(gql.getIntrospectionQuery());
  const unlimited: Limits = {
    maxDepth: 100,
    maxAliases: Number.MAX_SAFE_INTEGER,
    maxDirectives: Number.MAX_SAFE_INTEGER,
    introspectionDepth: 0,
  };
  const operation = document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  return new Measurer(fragmentsOf(document), unlimited).measure(operation.selectionSet, 100).depth;
}

/** The fragment definitions of a document, by name. @internal */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === 'FragmentDefinition') fragments.set(def.name.value, def);
  return fragments;
}

/**
 * graphql-js validation rules enforcing the document limits of the `graphql` options: maximum
 * depth, aliases and directives per operation (fragments expanded at every spread; `__typename`
 * aliases count), and, when `introspection` is off, no `__schema` / `__type` anywhere.
 * `__schema` / `__type` subtrees may be as deep as graphql-js's standard introspection query when
 * that is deeper than `maxDepth`. Errors are reported (never thrown), generic, and carry
 * `extensions.code` (`GRAPHQL_DEPTH_LIMIT`, `GRAPHQL_ALIAS_LIMIT`, `GRAPHQL_DIRECTIVE_LIMIT`,
 * `GRAPHQL_INTROSPECTION_DISABLED`). `SecurityGraphQL` installs them with the token limit, the
 * cost and the budget; use them alone with any other graphql-js server. Needs the optional peer
 * `graphql` 16.
 *
 * @example
 * ```ts
 * import { buildSchema, parse, validate } from 'graphql';
 * import { createGraphqlValidationRules, type GraphqlLimits } from 'nestjs-rampart';
 *
 * export function check(limits: GraphqlLimits, query: string) {
 *   const schema = buildSchema('type Query { hello: String }');
 *   return validate(schema, parse(query), createGraphqlValidationRules(limits));
 * }
 * ```
 * @publicApi
 */
export function createGraphqlValidationRules(options: GraphqlLimits): ValidationRule[] {
  if (!options.enabled) return [];
  const gql = loadGraphql();
  const fail = (context: ValidationContext, code: string, message: string) =>
    context.reportError(new gql.GraphQLError(message, { extensions: { code } }) as GraphQLErrorType);
  const limits: Limits = {
    maxDepth: options.maxDepth,
    maxAliases: options.maxAliases,
    maxDirectives: options.maxDirectives,
    introspectionDepth: options.introspection ? introspectionDepth(gql) : 0,
  };

  const measureRule: ValidationRule = (context): ASTVisitor => ({
    Document(document) {
      const fragments = fragmentsOf(document);
      for (const def of document.definitions) {
        if (def.kind !== 'OperationDefinition') continue;
        const measured = new Measurer(fragments, limits).measure(def.selectionSet, options.maxDepth, true);
        const m = { ...measured, directives: measured.directives + count(def.directives) };
        if (m.tooDeep) {
          fail(context, GraphqlErrorCode.DEPTH_LIMIT, `Query is too deep (maximum depth ${options.maxDepth})`);
        }
        if (m.aliases > options.maxAliases) {
          fail(context, GraphqlErrorCode.ALIAS_LIMIT, `Too many aliases (maximum ${options.maxAliases})`);
        }
        if (m.directives > options.maxDirectives) {
          fail(context, GraphqlErrorCode.DIRECTIVE_LIMIT, `Too many directives (maximum ${options.maxDirectives})`);
        }
      }
      // The whole document has been measured: nothing below needs visiting again.
      return false;
    },
  });

  const rules = [measureRule];
  if (!options.introspection) {
    rules.push((context): ASTVisitor => ({
      Field(node) {
        if (INTROSPECTION_ROOTS.has(node.name.value)) {
          fail(context, GraphqlErrorCode.INTROSPECTION_DISABLED, 'Introspection is disabled');
        }
      },
    }));
  }
  return rules;
}
