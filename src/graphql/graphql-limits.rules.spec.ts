import { buildSchema, parse, validate } from 'graphql';
import { resolveGraphqlOptions } from '../core/options/graphql.options';
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
  });
});
