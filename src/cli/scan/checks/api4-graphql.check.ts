import { ANONYMOUS, type Identity, type ScanContext } from '../scan-context';
import type { HttpExchange } from '../scan.types';
import { isOk, jsonBody, statusOf, type ScanCheck } from './check';

type GqlType = { kind: string; name?: string; ofType?: GqlType | null };
type GqlField = { name: string; type: GqlType; args: Array<{ type: GqlType }> };
type GqlSchema = {
  queryType: { name: string };
  types: Array<{ name: string; kind: string; fields: GqlField[] | null }>;
};

const INTROSPECTION = `{ __schema { queryType { name } types { name kind fields { name args { type { kind } } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`;

function named(type: GqlType): GqlType {
  return type.ofType ? named(type.ofType) : type;
}

function data(x: HttpExchange): Record<string, unknown> | undefined {
  const body = jsonBody(x) as { data?: Record<string, unknown>; errors?: unknown[] } | undefined;
  return isOk(x) && body?.data && !body.errors ? body.data : undefined;
}

/** The endpoint: GraphQL operations in the document, else /graphql, answering `{ __typename }`. */
async function findEndpoint(ctx: ScanContext, who: Identity): Promise<string | undefined> {
  const candidates = [
    ...new Set([
      ...ctx.operations.filter((o) => /graphql/i.test(o.path) && o.method === 'POST').map((o) => o.path),
      '/graphql',
    ]),
  ];
  for (const path of candidates) {
    if (ctx.isExcluded('POST', path)) continue;
    const x = await ctx.send(who, 'POST', path, { body: { query: '{ __typename }' } });
    if (typeof data(x)?.__typename === 'string') return path;
  }
  return undefined;
}

/** A root field without required arguments returning a type with a field of its own type. */
function recursion(schema: GqlSchema): { root: string; field: string } | undefined {
  const types = new Map(schema.types.map((t) => [t.name, t]));
  const query = types.get(schema.queryType.name);
  for (const root of query?.fields ?? []) {
    if (root.args.some((a) => a.type.kind === 'NON_NULL')) continue;
    const target = types.get(named(root.type).name ?? '');
    const self = target?.fields?.find(
      (f) => named(f.type).name === target.name && !f.args.some((a) => a.type.kind === 'NON_NULL'),
    );
    if (self) return { root: root.name, field: self.name };
  }
  return undefined;
}

async function probe(ctx: ScanContext, who: Identity, path: string) {
  const batch = await ctx.send(who, 'POST', path, {
    body: Array.from({ length: 10 }, () => ({ query: '{ __typename }' })),
  });
  const answers = jsonBody(batch);
  if (isOk(batch) && Array.isArray(answers) && answers.length === 10)
    ctx.report('API4-GRAPHQL-BATCHING', {
      operationKey: `POST ${path}`,
      message: `POST ${path} ran a batch of 10 operations in one request (${statusOf(batch)}).`,
      evidence: [batch],
    });
  else ctx.pass('graphql-batching', 'API4', `a batch of 10 operations was refused (${statusOf(batch)})`);

  const aliases = Array.from({ length: 200 }, (_, i) => `a${i}: __typename`).join(' ');
  const aliased = await ctx.send(who, 'POST', path, { body: { query: `{ ${aliases} }` } });
  const aliasData = data(aliased);
  if (aliasData && Object.keys(aliasData).length === 200)
    ctx.report('API4-GRAPHQL-ALIASES', {
      operationKey: `POST ${path}`,
      message: `POST ${path} resolved 200 aliases in one query (${statusOf(aliased)}).`,
      evidence: [aliased],
    });
  else ctx.pass('graphql-aliases', 'API4', `200 aliases in one query were refused (${statusOf(aliased)})`);

  const intro = await ctx.send(who, 'POST', path, { body: { query: INTROSPECTION } });
  const schema = data(intro)?.__schema as GqlSchema | undefined;
  if (!schema) {
    ctx.pass('graphql-introspection', 'API8', `introspection refused (${statusOf(intro)})`);
    return ctx.skip('graphql-depth', 'API4', 'introspection is off: no schema to build a deep query from');
  }
  ctx.report('API8-GRAPHQL-INTROSPECTION', {
    operationKey: `POST ${path}`,
    message: `POST ${path} answers the introspection query (${schema.types.length} types) to ${who.name}.`,
    evidence: [intro],
  });
  const loop = recursion(schema);
  if (!loop)
    return ctx.skip(
      'graphql-depth',
      'API4',
      'no recursive type reachable from a root field without required arguments',
    );
  const depth = 20;
  const query = `{ ${loop.root} ${`{ ${loop.field} `.repeat(depth)}{ __typename }${' }'.repeat(depth)} }`;
  const deep = await ctx.send(who, 'POST', path, { body: { query } });
  if (data(deep))
    ctx.report('API4-GRAPHQL-DEPTH', {
      operationKey: `POST ${path}`,
      message: `POST ${path} resolved a query nested ${depth + 2} levels deep (${loop.root} → ${loop.field} × ${depth}).`,
      evidence: [deep],
    });
  else ctx.pass('graphql-depth', 'API4', `a query nested ${depth + 2} levels deep was refused (${statusOf(deep)})`);
}

/**
 * API4/API8 for GraphQL, when an endpoint answers `{ __typename }`: array batching, 200 aliases,
 * introspection, and (from the introspected schema) a query 22 levels deep over a recursive type.
 *
 * @internal
 */
export const graphqlCheck: ScanCheck = {
  id: 'graphql',
  owasp: 'API4',
  title: 'GraphQL abuse (batching, aliases, depth, introspection)',
  async run(ctx) {
    const who = ctx.victim ?? [...ctx.identities.values()][0] ?? ANONYMOUS;
    const path = await findEndpoint(ctx, who);
    if (!path)
      return ctx.skip('graphql', 'API4', 'no GraphQL endpoint answers { __typename } (documented ones or /graphql)');
    await probe(ctx, who, path);
  },
};
