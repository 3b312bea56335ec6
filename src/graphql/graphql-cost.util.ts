import type {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLField,
  GraphQLNamedType,
  GraphQLSchema,
  GraphQLType,
  OperationDefinitionNode,
  SelectionSetNode,
  ValueNode,
} from 'graphql';
import { fragmentsOf } from './graphql-limits.rules';

/** What the cost model needs from the options. @internal */
export interface CostModel {
  readonly maxCost: number;
  readonly defaultListSize: number;
  readonly listArguments: readonly string[];
}

/** The operation of `document` that runs: the named one, or the only one. @internal */
export function selectOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  let found: OperationDefinitionNode | undefined;
  for (const def of document.definitions) {
    if (def.kind !== 'OperationDefinition') continue;
    if (operationName ? def.name?.value === operationName : found === undefined) found = def;
    else if (!operationName) return undefined;
  }
  return found;
}

function namedType(type: GraphQLType): { named: GraphQLNamedType; list: boolean } {
  let current = type as GraphQLType & { ofType?: GraphQLType };
  let list = false;
  // Only the wrapping types (list, non-null) have `ofType`; a list is one whose tag says so.
  while (current.ofType) {
    list ||= (current as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'GraphQLList';
    current = current.ofType as GraphQLType & { ofType?: GraphQLType };
  }
  return { named: current as GraphQLNamedType, list };
}

function fieldsOf(type: GraphQLNamedType | undefined): Record<string, GraphQLField<unknown, unknown>> | undefined {
  const withFields = type as { getFields?: () => Record<string, GraphQLField<unknown, unknown>> } | undefined;
  return typeof withFields?.getFields === 'function' ? withFields.getFields() : undefined;
}

/**
 * The cost of each operation, computed once per parsed document when the operation declares no
 * variables (its cost then depends on the schema and the document alone). Apollo and Mercurius
 * hand the same `DocumentNode` to every request of a document they cached, so a hot query is
 * measured once. Keyed by object identity (schema, document), never by text: an entry is dropped
 * with its document. Operations with variables are measured on every request.
 *
 * @internal
 */
export class OperationCostCache {
  private readonly bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, number>>>();

  constructor(private readonly model: CostModel) {}

  /** The cost of `operation`, a definition of `document` (at most `maxCost + 1`). */
  cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Readonly<Record<string, unknown>>,
  ): number {
    if (operation.variableDefinitions?.length) {
      return new CostCalculator(schema, document, variables, this.model).operation(operation);
    }
    let documents = this.bySchema.get(schema);
    if (!documents) this.bySchema.set(schema, (documents = new WeakMap()));
    let operations = documents.get(document);
    if (!operations) documents.set(document, (operations = new Map()));
    const name = operation.name?.value ?? '';
    let cost = operations.get(name);
    if (cost === undefined) {
      cost = new CostCalculator(schema, document, {}, this.model).operation(operation);
      operations.set(name, cost);
    }
    return cost;
  }
}

/**
 * Computes an operation's cost from the schema, before execution. A field costs its `complexity`
 * (a number in the field's extensions, as `@Field({ complexity })` writes it) or 1; a field with a
 * selection adds its selection's cost multiplied by its size: the largest list argument given
 * (`first`, `last`, `limit`: a literal, a variable's value, or the argument's default), else
 * `defaultListSize` on a list type, else 1. `__typename` and introspection fields are free.
 * Fragments are measured once per document (memoized) and the cost saturates just above
 * `maxCost`, so a fragment bomb costs linear time and never overflows.
 *
 * @internal
 */
export class CostCalculator {
  private readonly fragments: Map<string, FragmentDefinitionNode>;
  private readonly memo = new Map<string, number>();
  private readonly visiting = new Set<string>();
  private readonly cap: number;
  private readonly listArgs: ReadonlySet<string>;
  private readonly defaults = new Map<string, unknown>();

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly variables: Readonly<Record<string, unknown>>,
    private readonly model: CostModel,
  ) {
    this.fragments = fragmentsOf(document);
    this.cap = model.maxCost + 1;
    this.listArgs = new Set(model.listArguments);
  }

  /** The cost of `operation` (at most `maxCost + 1`). */
  operation(operation: OperationDefinitionNode): number {
    for (const definition of operation.variableDefinitions ?? []) {
      const value = definition.defaultValue;
      if (value) this.defaults.set(definition.variable.name.value, this.valueOf(value));
    }
    const root =
      operation.operation === 'query'
        ? this.schema.getQueryType()
        : operation.operation === 'mutation'
          ? this.schema.getMutationType()
          : this.schema.getSubscriptionType();
    return this.selection(operation.selectionSet, root ?? undefined);
  }

  private selection(set: SelectionSetNode | undefined, parent: GraphQLNamedType | undefined): number {
    if (!set) return 0;
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === 'Field') total += this.field(selection, parent);
      else if (selection.kind === 'InlineFragment') {
        const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
        total += this.selection(selection.selectionSet, type ?? undefined);
      } else total += this.spread(selection.name.value);
      if (total >= this.cap) return this.cap;
    }
    return total;
  }

  private spread(name: string): number {
    const known = this.memo.get(name);
    if (known !== undefined) return known;
    const fragment = this.fragments.get(name);
    if (!fragment || this.visiting.has(name)) return 0;
    this.visiting.add(name);
    const cost = this.selection(fragment.selectionSet, this.schema.getType(fragment.typeCondition.name.value));
    this.visiting.delete(name);
    this.memo.set(name, cost);
    return cost;
  }

  private field(node: FieldNode, parent: GraphQLNamedType | undefined): number {
    if (node.name.value.startsWith('__')) return 0;
    const def = fieldsOf(parent)?.[node.name.value];
    // An unknown field fails validation anyway; count it as a plain field meanwhile.
    if (!def) return 1 + this.selection(node.selectionSet, undefined);
    const complexity = def.extensions?.complexity;
    const own = typeof complexity === 'number' && Number.isFinite(complexity) && complexity >= 0 ? complexity : 1;
    if (!node.selectionSet) return own;
    const { named, list } = namedType(def.type);
    const size = this.listSize(node, def, list);
    if (size === 0) return own;
    const child = this.selection(node.selectionSet, named);
    return Math.min(own + child * size, this.cap);
  }

  private listSize(node: FieldNode, def: GraphQLField<unknown, unknown>, list: boolean): number {
    let size: number | undefined;
    for (const arg of def.args) {
      if (!this.listArgs.has(arg.name)) continue;
      const given = node.arguments?.find((a) => a.name.value === arg.name);
      const value = given ? this.valueOf(given.value) : arg.defaultValue;
      if (typeof value === 'number' && Number.isFinite(value)) size = Math.max(size ?? 0, Math.max(0, value));
    }
    if (size !== undefined) return Math.min(size, this.cap);
    return list ? this.model.defaultListSize : 1;
  }

  private valueOf(value: ValueNode): unknown {
    if (value.kind === 'IntValue' || value.kind === 'FloatValue') return Number(value.value);
    if (value.kind === 'Variable') return this.variables[value.name.value] ?? this.defaults.get(value.name.value);
    return undefined;
  }
}
