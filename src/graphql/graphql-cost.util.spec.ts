import { buildSchema, parse, type GraphQLSchema } from 'graphql';
import { CostCalculator, OperationCostCache, selectOperation } from './graphql-cost.util';

const schema: GraphQLSchema = buildSchema(`
  type Query { user(id: ID!): User, users(first: Int, limit: Int): [User!]!, tags: [String] }
  type User { id: ID!, name: String, friends(first: Int = 5): [User], posts: [Post], best: Post }
  type Post { id: ID!, title: String }
  type Mutation { touch: User }
`);
// What @Field({ complexity }) writes.
(
  schema.getType('User') as unknown as { getFields(): Record<string, { extensions: object }> }
).getFields().name.extensions = {
  complexity: 10,
};
const model = { maxCost: 100_000, defaultListSize: 20, listArguments: ['first', 'last', 'limit'] };

function cost(query: string, variables: Record<string, unknown> = {}, options = model, name?: string): number {
  const document = parse(query);
  const operation = selectOperation(document, name);
  if (!operation) throw new Error('no operation');
  return new CostCalculator(schema, document, variables, options).operation(operation);
}

describe('CostCalculator', () => {
  it.each([
    ['{ user(id: 1) { id } }', 2],
    ['{ user(id: 1) { id name } }', 12], // name costs 10 (complexity)
    ['{ user(id: 1) { __typename } }', 1],
    ['{ users(first: 3) { id } }', 4], // 1 + 3 × 1
    ['{ users { id } }', 21], // no argument: defaultListSize
    ['{ users(first: 2) { friends { id } } }', 1 + 2 * (1 + 5 * 1)], // the argument's schema default (5)
    ['{ users(first: 2) { best { id } } }', 1 + 2 * 2], // an object field is not a list
    ['{ tags }', 1], // a list of scalars costs the field
    ['mutation { touch { id } }', 2],
  ])('%s costs %d', (query, expected) => {
    expect(cost(query)).toBe(expected);
  });

  it('reads list sizes from variables, their defaults, and the largest list argument', () => {
    expect(cost('query($n: Int) { users(first: $n) { id } }', { n: 50 })).toBe(51);
    expect(cost('query($n: Int = 7) { users(first: $n) { id } }')).toBe(8);
    expect(cost('{ users(first: 2, limit: 9) { id } }')).toBe(10);
    expect(cost('query($n: Int) { users(first: $n) { id } }', { n: -5 })).toBe(1);
  });

  it('counts fragments at every spread, memoized (a fragment bomb saturates in linear time)', () => {
    expect(cost('{ a: user(id: 1) { ...F } b: user(id: 2) { ...F } } fragment F on User { id }')).toBe(4);
    let fragments = 'fragment F0 on User { id }';
    for (let i = 1; i <= 60; i++) fragments += ` fragment F${i} on User { ...F${i - 1} ...F${i - 1} }`;
    expect(cost(`{ user(id: 1) { ...F60 } } ${fragments}`, {}, { ...model, maxCost: 5000 })).toBe(5001);
  });

  it('saturates just above maxCost on nested lists instead of overflowing', () => {
    const query = '{ users(first: 1000000) { friends(first: 1000000) { friends(first: 1000000) { id } } } }';
    expect(cost(query, {}, { ...model, maxCost: 5000 })).toBe(5001);
  });

  it('picks the named operation, and refuses to guess among several', () => {
    const document = parse('query A { user(id: 1) { id } } query B { users { id } }');
    expect(selectOperation(document, 'B')?.name?.value).toBe('B');
    expect(selectOperation(document, undefined)).toBeUndefined();
  });
});

describe('OperationCostCache', () => {
  const operationOf = (document: ReturnType<typeof parse>, name?: string) => {
    const operation = selectOperation(document, name);
    if (!operation) throw new Error('no operation');
    return operation;
  };

  it('measures a variable-free operation once per document and operation, with the same result', () => {
    const cache = new OperationCostCache(model);
    const document = parse('query A { users(first: 3) { id } } query B { users { name } }');
    const a = operationOf(document, 'A');
    const spy = jest.spyOn(CostCalculator.prototype, 'operation');
    try {
      expect(cache.cost(schema, document, a, {})).toBe(4);
      expect(cache.cost(schema, document, a, {})).toBe(4);
      expect(cache.cost(schema, document, operationOf(document, 'B'), {})).toBe(1 + 20 * 10);
      expect(spy).toHaveBeenCalledTimes(2);
      // Another document with the same text is another entry (identity, never text).
      expect(cache.cost(schema, parse('query A { users(first: 3) { id } }'), a, {})).toBe(4);
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  it('measures an operation with variables on every call, with its own variables', () => {
    const cache = new OperationCostCache(model);
    const document = parse('query($n: Int) { users(first: $n) { id } }');
    const operation = operationOf(document);
    expect(cache.cost(schema, document, operation, { n: 50 })).toBe(51);
    expect(cache.cost(schema, document, operation, { n: 2 })).toBe(3);
  });
});
