import { buildSchema, getIntrospectionQuery, parse, validate } from 'graphql';
import { resolveGraphqlOptions } from './graphql.options';
import { createGraphqlValidationRules } from './graphql-limits.rules';

const schema = buildSchema(`
  type Query { user(id: ID!): User, users(first: Int, limit: Int): [User] }
  type User { id: ID!, name: String, friends(first: Int): [User], posts(limit: Int): [Post] }
  type Post { id: ID!, title: String, author: User }
`);
const ctx = { profile: 'development' as const, isTrustedProxy: () => false };

function errors(query: string, options: Record<string, unknown> = {}, variables: Record<string, unknown> = {}) {
  const rules = createGraphqlValidationRules(resolveGraphqlOptions(options, ctx), variables);
  return validate(schema, parse(query), rules).map((e) => e.extensions.code);
}

const nest = (depth: number): string => (depth === 0 ? 'id' : `friends { ${nest(depth - 1)} }`);

describe('GraphQL limits', () => {
  it('accepts an ordinary query', () => {
    expect(errors('{ user(id: 1) { id name posts(limit: 5) { title } } }')).toEqual([]);
  });

  it('refuses queries deeper than maxDepth, fragments included', () => {
    expect(errors(`{ user(id: 1) { ${nest(8)} } }`)).toEqual([]);
    expect(errors(`{ user(id: 1) { ${nest(10)} } }`)).toEqual(['GRAPHQL_DEPTH_LIMIT']);
    expect(errors(`{ user(id: 1) { ...F } } fragment F on User { ${nest(3)} }`, { maxDepth: 3 })).toEqual([
      'GRAPHQL_DEPTH_LIMIT',
    ]);
  });

  it('stops on fragment cycles instead of looping', () => {
    // graphql's own NoFragmentCycles rule reports the cycle; ours must terminate.
    const codes = errors(
      '{ user(id: 1) { ...A } } fragment A on User { friends { ...B } } fragment B on User { friends { ...A } }',
    );
    expect(codes).not.toContain('GRAPHQL_DEPTH_LIMIT');
  });

  it('multiplies cost by list sizes, from literals and variables', () => {
    expect(errors('{ users(first: 100) { friends(first: 100) { id } } }')).toEqual(['GRAPHQL_COMPLEXITY_LIMIT']);
    expect(errors('{ users(first: 10) { friends(first: 10) { id } } }')).toEqual([]);
    expect(errors('query($n: Int) { users(first: $n) { friends(first: $n) { id } } }', {}, { n: 50 })).toEqual([
      'GRAPHQL_COMPLEXITY_LIMIT',
    ]);
  });

  it('limits aliases', () => {
    const batch = Array.from({ length: 16 }, (_, i) => `a${i}: user(id: ${i}) { id }`).join(' ');
    expect(errors(`{ ${batch} }`)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
  });

  it('measures fragments once however often they are spread (no exponential blow-up)', () => {
    // F30 spreads F29 twice, which spreads F28 twice…: 2^30 expansions if nothing is memoized.
    let fragments = 'fragment F0 on User { id name }';
    for (let i = 1; i <= 30; i++) fragments += ` fragment F${i} on User { ...F${i - 1} ...F${i - 1} }`;
    const started = Date.now();
    expect(errors(`{ user(id: 1) { ...F30 } } ${fragments}`)).toEqual(['GRAPHQL_COMPLEXITY_LIMIT']);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('counts aliases inside fragments at every spread, wherever the fragment is defined', () => {
    const aliased = Array.from({ length: 10 }, (_, i) => `n${i}: name`).join(' ');
    const query = '{ a: user(id: 1) { ...F } b: user(id: 2) { ...F } }';
    const fragment = `fragment F on User { ${aliased} }`;
    expect(errors(`${query} ${fragment}`)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
    expect(errors(`${fragment} ${query}`)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
    expect(errors(`{ a: user(id: 1) { ...F } } ${fragment}`)).toEqual([]);
  });

  it('skips only __typename: introspection fields are measured', () => {
    const typenames = Array.from({ length: 20 }, () => '__typename').join(' ');
    expect(errors(`{ user(id: 1) { ${typenames} friends { __typename } } }`)).toEqual([]);
    const aliasedTypenames = Array.from({ length: 16 }, (_, i) => `t${i}: __typename`).join(' ');
    expect(errors(`{ ${aliasedTypenames} }`)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
    const deep = (n: number): string => (n === 0 ? 'name' : `fields { type { ${deep(n - 1)} } }`);
    expect(errors(`{ __schema { types { ${deep(10)} } } }`)).toEqual(['GRAPHQL_DEPTH_LIMIT']);
    expect(errors(`{ __type(name: "User") { ${deep(10)} } }`)).toEqual(['GRAPHQL_DEPTH_LIMIT']);
    const wide = Array.from({ length: 400 }, (_, i) => `t${i}: __type(name: "User") { name kind }`).join(' ');
    expect(errors(`{ ${wide} }`, { maxAliases: 1000 })).toEqual(['GRAPHQL_COMPLEXITY_LIMIT']);
  });

  it('accepts the standard introspection query where introspection is allowed', () => {
    expect(errors(getIntrospectionQuery())).toEqual([]);
    expect(errors(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }))).toEqual([]);
  });

  it('counts a list size given by a variable as maxListSize (or its default when larger), not 1', () => {
    const query = 'query($n: Int) { users(first: $n) { friends(first: $n) { id } } }';
    expect(errors(query)).toEqual(['GRAPHQL_COMPLEXITY_LIMIT']);
    expect(errors(query, { maxListSize: 5 })).toEqual([]);
    const withDefault = 'query($n: Int = 2) { users(first: $n) { friends(first: $n) { id } } }';
    expect(errors(withDefault)).toEqual(['GRAPHQL_COMPLEXITY_LIMIT']); // the client may send more than 2
    const bigDefault = 'query($n: Int = 50) { users(first: $n) { friends(first: $n) { id } } }';
    expect(errors(bigDefault, { maxListSize: 5 })).toEqual(['GRAPHQL_COMPLEXITY_LIMIT']);
    expect(errors(query, { maxListSize: 5 }, { n: 3 })).toEqual([]);
  });

  it('blocks introspection in production by default, allows it in development', () => {
    expect(errors('{ __schema { types { name } } }')).toEqual([]);
    const prod = createGraphqlValidationRules(resolveGraphqlOptions({}, { ...ctx, profile: 'production' }));
    expect(validate(schema, parse('{ __schema { types { name } } }'), prod).map((e) => e.extensions.code)).toEqual([
      'GRAPHQL_INTROSPECTION_DISABLED',
    ]);
  });

  it('returns no rules when disabled, and validates its options', () => {
    expect(createGraphqlValidationRules(resolveGraphqlOptions({ enabled: false }, ctx))).toEqual([]);
    expect(() => resolveGraphqlOptions({ maxDepth: 0 }, ctx)).toThrow(/graphql\.maxDepth must be at least 1/);
    expect(() => resolveGraphqlOptions({ max_depth: 3 }, ctx)).toThrow(/graphql\.max_depth is not a known option/);
    expect(() => resolveGraphqlOptions({ maxListSize: 0 }, ctx)).toThrow(/graphql\.maxListSize must be at least 1/);
    expect(resolveGraphqlOptions({}, ctx).maxListSize).toBe(100);
  });
});
