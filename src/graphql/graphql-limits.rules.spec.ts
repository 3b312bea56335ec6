import { buildSchema, getIntrospectionQuery, parse, validate } from 'graphql';
import { resolveGraphqlOptions } from './graphql.options';
import { createGraphqlValidationRules } from './graphql-limits.rules';

const schema = buildSchema(`
  directive @tag(name: String) repeatable on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT | QUERY
  type Query { user(id: ID!): User, users(first: Int, limit: Int): [User] }
  type User { id: ID!, name: String, friends(first: Int): [User], posts(limit: Int): [Post] }
  type Post { id: ID!, title: String, author: User }
`);
const ctx = { profile: 'development' as const, isTrustedProxy: () => false };

function errors(query: string, options: Record<string, unknown> = {}) {
  const rules = createGraphqlValidationRules(resolveGraphqlOptions(options, ctx));
  return validate(schema, parse(query), rules).map((e) => e.extensions.code);
}

const nest = (depth: number): string => (depth === 0 ? 'id' : `friends { ${nest(depth - 1)} }`);

describe('GraphQL document limits', () => {
  it('accepts an ordinary query', () => {
    expect(errors('{ user(id: 1) { id name posts(limit: 5) { title } } }')).toEqual([]);
  });

  it('refuses queries deeper than maxDepth, fragments and inline fragments included', () => {
    expect(errors(`{ user(id: 1) { ${nest(8)} } }`)).toEqual([]);
    expect(errors(`{ user(id: 1) { ${nest(10)} } }`)).toEqual(['GRAPHQL_DEPTH_LIMIT']);
    expect(errors(`{ user(id: 1) { ...F } } fragment F on User { ${nest(3)} }`, { maxDepth: 3 })).toEqual([
      'GRAPHQL_DEPTH_LIMIT',
    ]);
    expect(errors(`{ user(id: 1) { ... on User { ${nest(3)} } } }`, { maxDepth: 3 })).toEqual(['GRAPHQL_DEPTH_LIMIT']);
  });

  it('stops on fragment cycles instead of looping', () => {
    // graphql's own NoFragmentCycles rule reports the cycle; ours must terminate.
    const codes = errors(
      '{ user(id: 1) { ...A } } fragment A on User { friends { ...B } } fragment B on User { friends { ...A } }',
    );
    expect(codes).not.toContain('GRAPHQL_DEPTH_LIMIT');
  });

  it('limits aliases, __typename aliases included', () => {
    const batch = Array.from({ length: 16 }, (_, i) => `a${i}: user(id: ${i}) { id }`).join(' ');
    expect(errors(`{ ${batch} }`)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
    const typenames = Array.from({ length: 16 }, (_, i) => `t${i}: __typename`).join(' ');
    expect(errors(`{ ${typenames} }`)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
  });

  it('limits directives per operation, counted at every fragment spread', () => {
    const many = Array.from({ length: 51 }, () => '@tag').join(' ');
    expect(errors(`{ user(id: 1) { id ${many} } }`)).toEqual(['GRAPHQL_DIRECTIVE_LIMIT']);
    const ten = Array.from({ length: 10 }, () => '@tag').join(' ');
    const spreads = Array.from({ length: 6 }, (_, i) => `u${i}: user(id: ${i}) { ...F }`).join(' ');
    expect(errors(`{ ${spreads} } fragment F on User { id ${ten} }`, { maxAliases: 100 })).toEqual([
      'GRAPHQL_DIRECTIVE_LIMIT',
    ]);
    expect(errors(`{ user(id: 1) { id ${ten} } }`)).toEqual([]);
  });

  it('measures fragments once however often they are spread (no exponential blow-up)', () => {
    // F30 spreads F29 twice, which spreads F28 twice…: 2^30 expansions if nothing is memoized;
    // the aliases inside count at every spread and saturate instead of overflowing.
    let fragments = 'fragment F0 on User { a: id }';
    for (let i = 1; i <= 30; i++) fragments += ` fragment F${i} on User { ...F${i - 1} ...F${i - 1} }`;
    // Count the work instead of timing it: every read of a fragment's selection set is one expansion.
    const document = parse(`{ user(id: 1) { ...F30 } } ${fragments}`);
    let expansions = 0;
    for (const def of document.definitions) {
      if (def.kind !== 'FragmentDefinition') continue;
      const selectionSet = def.selectionSet;
      Object.defineProperty(def, 'selectionSet', {
        get: () => (expansions++, selectionSet),
        enumerable: true,
      });
    }
    const rules = createGraphqlValidationRules(resolveGraphqlOptions({}, ctx));
    expect(validate(schema, document, rules).map((e) => e.extensions.code)).toContain('GRAPHQL_ALIAS_LIMIT');
    // Linear: a small constant number of reads per fragment (31 of them), not 2^30.
    expect(expansions).toBeLessThanOrEqual(31 * 8);
  });

  it('counts aliases inside fragments at every spread, wherever the fragment is defined', () => {
    const aliased = Array.from({ length: 10 }, (_, i) => `n${i}: name`).join(' ');
    const query = '{ a: user(id: 1) { ...F } b: user(id: 2) { ...F } }';
    const fragment = `fragment F on User { ${aliased} }`;
    expect(errors(`${query} ${fragment}`)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
    expect(errors(`${fragment} ${query}`)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
    expect(errors(`{ a: user(id: 1) { ...F } } ${fragment}`)).toEqual([]);
  });

  it('measures introspection fields, with room for the standard introspection query', () => {
    const deep = (n: number): string => (n === 0 ? 'name' : `fields { type { ${deep(n - 1)} } }`);
    expect(errors(`{ __schema { types { ${deep(10)} } } }`)).toEqual(['GRAPHQL_DEPTH_LIMIT']);
    expect(errors(`{ __type(name: "User") { ${deep(10)} } }`)).toEqual(['GRAPHQL_DEPTH_LIMIT']);
    expect(errors(getIntrospectionQuery())).toEqual([]);
    expect(errors(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }))).toEqual([]);
  });

  it('blocks introspection (__schema and __type) in production by default, allows it in development', () => {
    expect(errors('{ __schema { types { name } } }')).toEqual([]);
    const prod = createGraphqlValidationRules(resolveGraphqlOptions({}, { ...ctx, profile: 'production' }));
    const codes = (q: string) => validate(schema, parse(q), prod).map((e) => e.extensions.code);
    expect(codes('{ __schema { types { name } } }')).toEqual(['GRAPHQL_INTROSPECTION_DISABLED']);
    expect(codes('{ __type(name: "User") { name } }')).toEqual(['GRAPHQL_INTROSPECTION_DISABLED']);
    expect(codes('{ user(id: 1) { __typename } }')).toEqual([]);
  });

  it('stays linear on 100k aliases (reported once, not once per alias)', () => {
    const wide = Array.from({ length: 100_000 }, (_, i) => `a${i}: __typename`).join(' ');
    expect(errors(`{ ${wide} }`)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
  });
});

describe('GraphQL options', () => {
  it('returns no rules when disabled, and validates its options', () => {
    expect(createGraphqlValidationRules(resolveGraphqlOptions({ enabled: false }, ctx))).toEqual([]);
    expect(() => resolveGraphqlOptions({ maxDepth: 0 }, ctx)).toThrow(/graphql\.maxDepth must be at least 1/);
    expect(() => resolveGraphqlOptions({ max_depth: 3 }, ctx)).toThrow(/graphql\.max_depth is not a known option/);
    expect(() => resolveGraphqlOptions({ maxComplexity: 3 }, ctx)).toThrow(/graphql\.maxComplexity is not a known/);
    expect(() => resolveGraphqlOptions({ budget: { point: 3 } }, ctx)).toThrow(
      /Did you mean "graphql\.budget\.points"/,
    );
    expect(() => resolveGraphqlOptions({ budget: [] }, ctx)).toThrow(/graphql\.budget must be an object/);
    expect(() => resolveGraphqlOptions({ maxCost: 20_000 }, ctx)).toThrow(
      /maxCost .* larger than graphql\.budget\.points/,
    );
    expect(() => resolveGraphqlOptions(Object.create(null), ctx)).not.toThrow();
    expect(() => resolveGraphqlOptions({ trustedDocuments: ['abc'] }, ctx)).toThrow(
      /trustedDocuments\[0\] is not a SHA-256/,
    );
    expect(
      resolveGraphqlOptions({ trustedDocuments: ['a'.repeat(64)] }, ctx).trustedDocuments?.has('a'.repeat(64)),
    ).toBe(true);
  });

  it('has safe defaults, stricter in production', () => {
    const dev = resolveGraphqlOptions({}, ctx);
    expect(dev).toMatchObject({
      maxDepth: 10,
      maxAliases: 15,
      maxDirectives: 50,
      maxTokens: 2000,
      maxBatchSize: 1,
      maxCost: 5000,
      defaultListSize: 20,
      budget: { points: 10_000, windowSec: 60 },
      introspection: true,
      suggestions: true,
    });
    const prod = resolveGraphqlOptions({}, { ...ctx, profile: 'production' });
    expect(prod).toMatchObject({ introspection: false, suggestions: false, production: true });
    expect(resolveGraphqlOptions({ budget: false, maxCost: 20_000 }, ctx).budget).toBe(false);
  });
});
