import { createHash } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import {
  SecurityInventory,
  signRequest,
  TokenService,
  type SecurityEvent,
  type SecurityModuleOptions,
  type TokenSubject,
} from 'nestjs-rampart';
import { codes, expectNoInternals, gql } from '../fixtures/graphql/graphql-client';
import { graphqlFixture, ItemStore } from '../fixtures/graphql/graphql-fixture.module';
import { ADAPTERS, bootApp, type AdapterName } from '../utils/app';
import { redisUrl, uniquePrefix } from '../utils/redis';

async function boot(adapter: AdapterName, options: SecurityModuleOptions = {}) {
  const booted = await bootApp(adapter, graphqlFixture(adapter, options));
  const issue = async (subject: TokenSubject) => (await booted.app.get(TokenService).issue(subject)).accessToken;
  return { ...booted, issue };
}

describe.each(ADAPTERS)('GraphQL decorators and limits (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let user: string;
  let admin: string;
  let teamRed: string;
  let store: ItemStore;
  let booted: Awaited<ReturnType<typeof boot>>;

  beforeAll(async () => {
    booted = await boot(adapter, { rateLimit: { maxRequests: 10_000, windowSeconds: 60 } });
    ({ app, url } = booted);
    store = app.get(ItemStore);
    user = await booted.issue({ id: 'u1', roles: ['user'], scopes: ['items:read'], claims: { team: 'red' } });
    admin = await booted.issue({ id: 'u9', roles: ['admin'], scopes: ['items:team'] });
    teamRed = await booted.issue({ id: 'u2', roles: ['user'], claims: { team: 'red' } });
  });
  afterAll(() => app?.close());

  it('@Public: a public query answers without a token, a protected one needs it', async () => {
    expect((await gql(url, '{ hello }')).body.data).toEqual({ hello: 'world' });
    const refused = await gql(url, '{ secret }');
    expect(codes(refused)).toEqual(['AUTHENTICATION_REQUIRED']);
    expect((await gql(url, '{ secret }', { token: user })).body.data).toEqual({ secret: 'signed-in' });
  });

  it('field resolvers of a public query: authenticated by default, each on its own rules, every item', async () => {
    const query = '{ publicItems { id label team } }';
    const before = store.calls.get('label') ?? 0;
    const anonymous = await gql(url, query);
    const items = (anonymous.body.data as { publicItems: { id: string }[] }).publicItems;
    expect(items.length).toBeGreaterThan(1);
    expect(anonymous.body.data).toEqual({ publicItems: items.map(({ id }) => ({ id, label: null, team: null })) });
    expect(codes(anonymous)).toEqual(items.flatMap(() => ['AUTHENTICATION_REQUIRED', 'AUTHENTICATION_REQUIRED']));
    expect(store.calls.get('label') ?? 0).toBe(before);

    // A signed-in caller gets every label; the scoped field is refused on every item, not only the first.
    const signedIn = await gql(url, query, { token: user });
    expect(signedIn.body.data).toEqual({
      publicItems: items.map(({ id }) => ({ id, label: `label of ${id}`, team: null })),
    });
    expect(codes(signedIn)).toEqual(items.map(() => 'INSUFFICIENT_SCOPE'));
    const withScope = await gql(url, query, { token: admin });
    expect(withScope.body.errors).toBeUndefined();
    expect(store.calls.get('label')).toBe(before + 2 * items.length);
  });

  it('@Scopes on a query, a mutation and a field resolver', async () => {
    expect((await gql(url, '{ scoped }', { token: user })).body.data).toEqual({ scoped: 'scoped' });
    expect(codes(await gql(url, '{ scoped }', { token: teamRed }))).toEqual(['INSUFFICIENT_SCOPE']);
    expect(codes(await gql(url, 'mutation { scopedWrite }', { token: user }))).toEqual(['INSUFFICIENT_SCOPE']);
    const field = await gql(url, '{ item(id: "i1") { team } }', { token: user });
    expect(field.body.data).toEqual({ item: { team: null } });
    expect(codes(field)).toEqual(['INSUFFICIENT_SCOPE']);
  });

  it('@Owns by id argument on a query, a mutation and a field resolver', async () => {
    expect((await gql(url, '{ item(id: "i1") { name } }', { token: user })).body.data).toEqual({
      item: { name: 'one' },
    });
    const other = await gql(url, '{ item(id: "i2") { name } }', { token: user });
    expect(other.body.data).toEqual({ item: null });
    expect(codes(other)).toEqual(['NOT_FOUND']);
    const rename = await gql(url, 'mutation { rename(id: "i2", name: "mine") { name } }', { token: user });
    expect(codes(rename)).toEqual(['NOT_FOUND']);
    expect(store.items.get('i2')?.name).toBe('two');
    const sibling = await gql(url, '{ item(id: "i1") { a: sibling(id: "i1") { id } b: sibling(id: "i3") { id } } }', {
      token: user,
    });
    expect(sibling.body.data).toEqual({ item: { a: { id: 'i1' }, b: null } });
    expect(codes(sibling)).toEqual(['NOT_FOUND']);
  });

  it('@LoadedResource gives each aliased field call the resource its own guard loaded', async () => {
    const ids = ['i1', 'i4', 'i1', 'i4', 'i4', 'i1'];
    const query = `{ ${ids.map((id, i) => `f${i}: loadedItem(id: "${id}") { id }`).join(' ')} }`;
    const res = await gql(url, query, { token: user });
    expect(res.body.errors).toBeUndefined();
    expect(Object.values(res.body.data ?? {}).map((v) => (v as { id: string }).id)).toEqual(ids);
  });

  it('@Policy with a loader by id argument', async () => {
    expect((await gql(url, '{ teamItem(id: "i2") { id } }', { token: user })).body.data).toEqual({
      teamItem: { id: 'i2' },
    });
    const blue = await gql(url, '{ teamItem(id: "i3") { id } }', { token: user });
    expect(blue.body.data).toEqual({ teamItem: null });
    expect(codes(blue)[0]).toMatch(/FORBIDDEN|PERMISSION_DENIED|NOT_FOUND/);
  });

  it('@Roles and @Permissions on field resolvers hide the field without running its resolver', async () => {
    store.calls.clear();
    const res = await gql(url, '{ item(id: "i1") { name secretNote audit } }', { token: user });
    expect(res.body.data).toEqual({ item: { name: 'one', secretNote: null, audit: null } });
    expect(codes(res).sort()).toEqual(['PERMISSION_DENIED', 'PERMISSION_DENIED']);
    expect(store.calls.get('secretNote')).toBeUndefined();
    expect(store.calls.get('audit')).toBeUndefined();
    const asAdmin = await gql(url, '{ item(id: "i3") { secretNote audit team } }', { token: admin });
    expect(codes(asAdmin)).toEqual(['NOT_FOUND']); // admins are not owners here (no override role)
    const mutation = await gql(url, 'mutation { wipe }', { token: user });
    expect(codes(mutation)).toEqual(['PERMISSION_DENIED']);
    expect(store.calls.get('wipe')).toBeUndefined();
    expect((await gql(url, 'mutation { wipe }', { token: admin })).body.data).toEqual({ wipe: true });
  });

  it('@Roles and @Permissions on plain @ObjectType properties hide the field without reading it', async () => {
    store.calls.clear();
    const res = await gql(url, '{ item(id: "i1") { name code rating } }', { token: user });
    expect(res.body.data).toEqual({ item: { name: 'one', code: null, rating: null } });
    expect(codes(res)).toEqual(['PERMISSION_DENIED', 'PERMISSION_DENIED']);
    expect(res.body.errors?.map((e) => e.path)).toEqual([
      ['item', 'code'],
      ['item', 'rating'],
    ]);
    expect(store.calls.get('code')).toBeUndefined();
    expect(store.calls.get('score')).toBeUndefined();
    expectNoInternals(res);
    // In a list, every item's field is refused on its own path; the rest of each item is answered.
    const teamItems = await gql(url, '{ a: item(id: "i1") { code } b: item(id: "i4") { id code } }', { token: user });
    expect(teamItems.body.data).toEqual({ a: { code: null }, b: { id: 'i4', code: null } });
    expect(codes(teamItems)).toEqual(['PERMISSION_DENIED', 'PERMISSION_DENIED']);
    expect(store.calls.get('code')).toBeUndefined();
  });

  it('gives the protected object fields to callers with the role or permission (schema names mapped)', async () => {
    const owner = await booted.issue({ id: 'u1', roles: ['admin'] });
    const res = await gql(url, '{ item(id: "i1") { code rating } }', { token: owner });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ item: { code: 'code-i1', rating: 7 } });
  });

  it('@RateLimit on a query, a mutation and a field resolver: RATE_LIMITED with retryAfter, headers on the HTTP response', async () => {
    for (const query of ['{ limited }', 'mutation { limitedWrite }']) {
      const first = await gql(url, query);
      expect(first.body.errors).toBeUndefined();
      expect(first.headers.get('ratelimit-policy')).toContain('"tight";q=2;w=60');
      await gql(url, query);
      const third = await gql(url, query);
      expect(codes(third)).toEqual(['RATE_LIMITED']);
      expect(third.body.errors?.[0].extensions?.retryAfter).toEqual(expect.any(Number));
      expect(third.status).toBe(200);
    }
    // A field resolver counts once per call; the rest of the query is answered.
    const field = '{ item(id: "i1") { name limitedField } }';
    await gql(url, field, { token: user });
    await gql(url, field, { token: user });
    const third = await gql(url, field, { token: user });
    expect(third.body.data).toEqual({ item: { name: 'one', limitedField: null } });
    expect(codes(third)).toEqual(['RATE_LIMITED']);
    expect(third.body.errors?.[0].path).toEqual(['item', 'limitedField']);
  });

  it('lists root operations and field resolvers in the inventory, warning on an unchecked id argument', () => {
    const routes = app
      .get(SecurityInventory)
      .toJSON()
      .routes.filter((r) => r.kind === 'graphql');
    const byId = new Map(routes.map((r) => [r.id, r]));
    expect(byId.get('field Item.secretNote')).toMatchObject({
      method: 'field',
      path: 'Item.secretNote',
      roles: ['admin'],
    });
    expect(byId.get('field Item.sibling')).toMatchObject({
      ownership: { resource: 'item', param: 'id' },
      warnings: [],
    });
    expect(byId.get('field Item.team')).toMatchObject({ scopes: ['items:team'] });
    expect(byId.get('query item')?.warnings).toEqual([]);
    expect(byId.get('query peek')?.warnings).toEqual([
      expect.objectContaining({
        code: 'RAMPART_POSSIBLE_BOLA',
        message: expect.stringContaining('the argument itemId'),
      }),
    ]);
    expect(byId.get('mutation createItem')).toMatchObject({ idempotent: true });
  });

  it('masks internal errors: no message, no stack trace', async () => {
    const res = await gql(url, '{ boom }');
    expect(res.body.data).toEqual({ boom: null });
    expect(res.body.errors?.[0]).toMatchObject({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_ERROR' },
    });
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    expectNoInternals(res);
  });

  it('counts the field cost from @Query({ complexity }) and refuses above maxCost', async () => {
    const ok = await gql(url, '{ heavy }');
    expect(ok.body.extensions?.rateLimit).toMatchObject({ cost: 400 });
    const aliases = Array.from({ length: 13 }, (_, i) => `h${i}: heavy`).join(' ');
    const refused = await gql(url, `{ ${aliases} }`);
    expect(codes(refused)).toEqual(['GRAPHQL_COST_LIMIT']);
    expect(refused.body.errors?.[0].extensions).toMatchObject({ maxCost: 5000 });
  });

  it('stays linear on a fragment bomb and a 100k-alias query (refused, never a 5xx)', async () => {
    let fragments = 'fragment F0 on Item { id }';
    for (let i = 1; i <= 40; i++) fragments += ` fragment F${i} on Item { ...F${i - 1} ...F${i - 1} }`;
    const bomb = await gql(url, `{ item(id: "i1") { ...F40 } } ${fragments}`, { token: user });
    expect(bomb.status).toBeLessThan(500);
    expect(codes(bomb).length).toBeGreaterThan(0);
    const wide = await gql(url, `{ ${Array.from({ length: 100_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`, {
      headers: {},
    });
    expect(wide.status).toBeLessThan(500);
    expect(wide.status).toBeGreaterThanOrEqual(400);
  });
});

describe('GraphQL with Apollo on Fastify', () => {
  let app: INestApplication;
  let url: string;
  let user: string;
  beforeAll(async () => {
    ({ app, url } = await bootApp('fastify', graphqlFixture('fastify', {}, 'apollo')));
    user = (await app.get(TokenService).issue({ id: 'u1', roles: ['user'], scopes: ['items:read'] })).accessToken;
  });
  afterAll(() => app?.close());

  it('applies guards, field authorization, the budget headers and the limits', async () => {
    expect(codes(await gql(url, '{ secret }'))).toEqual(['AUTHENTICATION_REQUIRED']);
    const field = await gql(url, '{ item(id: "i1") { name secretNote } }', { token: user });
    expect(field.body.data).toEqual({ item: { name: 'one', secretNote: null } });
    expect(codes(field)).toEqual(['PERMISSION_DENIED']);
    expect(field.headers.get('ratelimit')).toMatch(/"graphql-cost";r=\d+;t=\d+/);
    expect(field.body.extensions?.rateLimit).toMatchObject({ limit: 10_000 });
    const aliases = await gql(url, `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect(codes(aliases)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
    expect(aliases.status).toBe(400);
    const boom = await gql(url, '{ boom }');
    expect(boom.body.errors?.[0]).toMatchObject({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_ERROR' },
    });
  });
});

describe.each(ADAPTERS)('GraphQL in production (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  beforeAll(
    async () =>
      ({ app, url } = await boot(adapter, { profile: 'production', trustProxy: [] } as SecurityModuleOptions)),
  );
  afterAll(() => app?.close());

  it('refuses introspection (__schema and __type), hides suggestions and masks errors', async () => {
    expect(codes(await gql(url, '{ __schema { types { name } } }'))).toContain('GRAPHQL_INTROSPECTION_DISABLED');
    expect(codes(await gql(url, '{ __type(name: "Item") { name } }'))).toContain('GRAPHQL_INTROSPECTION_DISABLED');
    const typo = await gql(url, '{ helo }');
    expect(codes(typo)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(JSON.stringify(typo.body)).not.toContain('Did you mean');
    const boom = await gql(url, '{ boom }');
    expect(boom.body.errors?.[0].message).toBe('Internal server error');
    expectNoInternals(boom);
    expect((await gql(url, '{ hello __typename }')).body.data).toEqual({ hello: 'world', __typename: 'Query' });
  });
});

describe.each(ADAPTERS)('GraphQL under request signing (%s)', (adapter) => {
  it('verifies a signed request once however many fields run (its nonce is recorded once)', async () => {
    const secret = 'graphql-signing-secret-graphql-signing-secret';
    const { app, url } = await boot(adapter, { signing: { keys: { k1: secret }, paths: ['/graphql'] } });
    try {
      const body = JSON.stringify({ query: '{ a: hello b: hello item(id: "i1") { id } }' });
      const headers = { 'content-type': 'application/json' };
      const signed = signRequest({ method: 'POST', url: '/graphql', body, headers, keyId: 'k1', secret });
      const send = () => fetch(`${url}/graphql`, { method: 'POST', headers: { ...headers, ...signed }, body });
      const first = (await (await send()).json()) as { data: unknown; errors?: unknown[] };
      expect(first.data).toMatchObject({ a: 'world', b: 'world' });
      const replay = (await (await send()).json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(replay.errors?.[0].extensions?.code).toBe('INVALID_SIGNATURE');
      const unsigned = await gql(url, '{ hello }');
      expect(codes(unsigned)).toEqual(['INVALID_SIGNATURE']);
    } finally {
      await app.close();
    }
  });
});

describe.each(ADAPTERS)('GraphQL trusted documents (%s)', (adapter) => {
  it('runs only operations whose document hash is listed', async () => {
    const trusted = '{ hello }';
    const hash = createHash('sha256').update(trusted).digest('hex');
    const { app, url } = await boot(adapter, { graphql: { trustedDocuments: [hash] } });
    try {
      expect((await gql(url, trusted)).body.data).toEqual({ hello: 'world' });
      const other = await gql(url, '{ hello __typename }');
      expect(other.status).toBe(400);
      expect(codes(other)).toEqual(['GRAPHQL_UNTRUSTED_DOCUMENT']);
      expect(other.body.data ?? null).toBeNull();
    } finally {
      await app.close();
    }
  });
});

describe.each(ADAPTERS)('GraphQL cost budget (%s)', (adapter) => {
  it('answers RATE_LIMITED with the retry time once the budget is spent, before the resolver runs', async () => {
    const { app, url } = await boot(adapter, { graphql: { budget: { points: 1000, windowSec: 60 }, maxCost: 1000 } });
    try {
      expect((await gql(url, '{ heavy }')).body.extensions?.rateLimit).toMatchObject({ remaining: 600 });
      await gql(url, '{ heavy }');
      const third = await gql(url, '{ heavy }');
      expect(third.body.data).toBeNull();
      expect(codes(third)).toEqual(['RATE_LIMITED']);
      expect(third.body.errors?.[0].extensions).toMatchObject({ retryAfter: expect.any(Number), cost: 400 });
      expect(third.headers.get('ratelimit')).toMatch(/"graphql-cost";r=\d+;t=\d+/);
    } finally {
      await app.close();
    }
  });

  it('shares the budget between two instances on one Redis', async () => {
    const storage = { type: 'redis' as const, url: redisUrl(), keyPrefix: uniquePrefix(`gql-budget-${adapter}`) };
    const options = { storage, graphql: { budget: { points: 1000, windowSec: 60 }, maxCost: 1000 } };
    const a = await boot(adapter, options);
    const b = await boot(adapter, options);
    try {
      const token = await a.issue({ id: 'shared', roles: ['user'] });
      expect((await gql(a.url, '{ heavy secret }', { token })).body.extensions?.rateLimit).toMatchObject({ cost: 401 });
      expect((await gql(b.url, '{ heavy secret }', { token })).body.extensions?.rateLimit).toMatchObject({
        remaining: 1000 - 802,
      });
      const spent = await gql(a.url, '{ heavy secret }', { token });
      expect(spent.body.data).toBeNull();
      // Both (non-null) root fields fail; graphql-js reports the first.
      expect(new Set(codes(spent))).toEqual(new Set(['RATE_LIMITED']));
      // Another principal has its own budget.
      const other = await b.issue({ id: 'other', roles: ['user'] });
      expect((await gql(b.url, '{ heavy }', { token: other })).body.errors).toBeUndefined();
    } finally {
      await a.app.close();
      await b.app.close();
    }
  });
});

describe.each(ADAPTERS.flatMap((adapter) => (['memory', 'redis'] as const).map((store) => [adapter, store] as const)))(
  'GraphQL @Idempotent mutations (%s, %s storage)',
  (adapter, storageKind) => {
    let app: INestApplication;
    let url: string;
    let store: ItemStore;
    let token: string;
    beforeAll(async () => {
      const storage =
        storageKind === 'redis'
          ? { type: 'redis' as const, url: redisUrl(), keyPrefix: uniquePrefix(`gql-idem-${adapter}`) }
          : undefined;
      const booted = await boot(adapter, storage ? { storage } : {});
      ({ app, url } = booted);
      store = app.get(ItemStore);
      token = await booted.issue({ id: 'u1', roles: ['user'] });
    });
    afterAll(() => app?.close());

    const create = 'mutation($n: String!) { createItem(name: $n) { id name } }';

    it('runs a mutation once per Idempotency-Key and replays its result', async () => {
      store.calls.clear();
      const headers = { 'idempotency-key': `create-${storageKind}-1` };
      const first = await gql(url, create, { token, headers, variables: { n: 'pen' } });
      expect(first.body.errors).toBeUndefined();
      const created = first.body.data?.createItem as { id: string; name: string };
      expect(created.name).toBe('pen');
      const again = await gql(url, create, { token, headers, variables: { n: 'pen' } });
      expect(again.body.data).toEqual(first.body.data);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(store.calls.get('createItem')).toBe(1);
      // Without a key the decorated mutation is refused (idempotency.required is on by default).
      const missing = await gql(url, create, { token, variables: { n: 'pen' } });
      expect(codes(missing)).toEqual(['IDEMPOTENCY_KEY_MISSING']);
      expect(store.calls.get('createItem')).toBe(1);
    });

    it('refuses the same key with other arguments (IDEMPOTENCY_KEY_MISMATCH), keys per caller', async () => {
      const headers = { 'idempotency-key': `create-${storageKind}-2` };
      expect((await gql(url, create, { token, headers, variables: { n: 'a' } })).body.errors).toBeUndefined();
      const other = await gql(url, create, { token, headers, variables: { n: 'b' } });
      expect(other.body.data).toBeNull();
      expect(codes(other)).toEqual(['IDEMPOTENCY_KEY_MISMATCH']);
      expectNoInternals(other);
      const someoneElse = await app.get(TokenService).issue({ id: 'u2', roles: ['user'] });
      const theirs = await gql(url, create, { token: someoneElse.accessToken, headers, variables: { n: 'b' } });
      expect(theirs.body.errors).toBeUndefined();
    });

    it('answers IDEMPOTENCY_IN_FLIGHT while the first call with the key still runs', async () => {
      store.calls.clear();
      store.hold();
      const headers = { 'idempotency-key': `slow-${storageKind}` };
      const query = 'mutation { slowCreate(name: "x") }';
      const first = gql(url, query, { token, headers });
      while (!store.calls.get('slowCreate')) await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await gql(url, query, { token, headers });
      expect(codes(second)).toEqual(['IDEMPOTENCY_IN_FLIGHT']);
      expect(second.body.errors?.[0].extensions?.retryAfter).toEqual(expect.any(Number));
      store.release();
      expect((await first).body.data).toEqual({ slowCreate: 'created x' });
      expect((await gql(url, query, { token, headers })).body.data).toEqual({ slowCreate: 'created x' });
      expect(store.calls.get('slowCreate')).toBe(1);
    });

    it('keeps one record per mutation field of a request', async () => {
      store.calls.clear();
      const headers = { 'idempotency-key': `pair-${storageKind}` };
      const pair = 'mutation { a: createItem(name: "a") { name } b: createItem(name: "b") { name } }';
      const first = await gql(url, pair, { token, headers });
      expect(first.body.data).toEqual({ a: { name: 'a' }, b: { name: 'b' } });
      expect((await gql(url, pair, { token, headers })).body.data).toEqual(first.body.data);
      expect(store.calls.get('createItem')).toBe(2);
    });
  },
);

describe.each(ADAPTERS)('GraphQL audit events and response filtering (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const events: SecurityEvent[] = [];
  beforeAll(async () => {
    ({ app, url } = await boot(adapter, { events: { logger: false, sinks: [(e) => events.push(e)] } }));
  });
  afterAll(() => app?.close());

  it('@Audit on a mutation: one AUDIT event per call, the resource id from the argument', async () => {
    const token = (await app.get(TokenService).issue({ id: 'u1', roles: ['user'] })).accessToken;
    const headers = { 'idempotency-key': 'audit-create' };
    const created = await gql(url, 'mutation { createItem(name: "gone") { id } }', { token, headers });
    const id = (created.body.data?.createItem as { id: string }).id;
    expect((await gql(url, `mutation { removeItem(id: "${id}") }`, { token })).body.data).toEqual({ removeItem: true });
    const failed = await gql(url, 'mutation { removeItem(id: "i4") }', { token });
    expect(codes(failed)).toEqual(['INTERNAL_ERROR']);
    const audits = events.filter((e) => e.type === 'AUDIT');
    expect(audits.map((e) => [e.outcome, e.principalId, e.details])).toEqual([
      ['success', 'u1', { action: 'item.remove', resource: 'item', resourceId: id, status: 200 }],
      ['failure', 'u1', { action: 'item.remove', resource: 'item', resourceId: 'i4', status: 500 }],
    ]);
  });

  it('strips denylisted fields from what a resolver returns (the field reads null)', async () => {
    const res = await gql(url, '{ account { username password } }');
    expect(res.body.data).toEqual({ account: { username: 'ann', password: null } });
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
  });
});

describe.each(ADAPTERS)('GraphQL batches (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => ({ app, url } = await boot(adapter, { graphql: { maxBatchSize: 3 } })));
  afterAll(() => app?.close());

  type Single = NonNullable<Awaited<ReturnType<typeof gql>>['body']>;
  const batch = async (queries: string[]): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(queries.map((query) => ({ query }))),
    });
    return { status: res.status, body: await res.json() };
  };
  const codesOf = (single: Single) => (single.errors ?? []).map((e) => e.extensions?.code);

  it('runs each operation of a batch through the guards, the limits and the budget on its own', async () => {
    const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const { body } = await batch(['{ hello }', '{ secret }', aliases]);
    const [hello, secret, tooWide] = body as Single[];
    expect(hello.data).toEqual({ hello: 'world' });
    expect(codesOf(secret)).toEqual(['AUTHENTICATION_REQUIRED']);
    expect(codesOf(tooWide)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
    const charged = (await batch(['{ heavy }', '{ heavy }'])).body as Single[];
    const remaining = charged.map((r) => (r.extensions?.rateLimit as { remaining: number }).remaining).sort();
    expect(remaining[1] - remaining[0]).toBe(400);
  });

  it('refuses a batch over maxBatchSize with a GraphQL error (GRAPHQL_BATCH_LIMIT, HTTP 400), nothing run', async () => {
    const { status, body } = await batch(['{ hello }', '{ hello }', '{ hello }', '{ hello }']);
    expect(status).toBe(400);
    expect(body).toMatchObject({ errors: [{ extensions: { code: 'GRAPHQL_BATCH_LIMIT' } }] });
    expect(JSON.stringify(body)).not.toContain('world');
  });
});

describe.each(ADAPTERS)('GraphQL with batching off (%s)', (adapter) => {
  it('refuses an array body of several operations with GRAPHQL_BATCH_LIMIT', async () => {
    const { app, url } = await boot(adapter);
    try {
      const res = await gql(url, '', { raw: JSON.stringify([{ query: '{ hello }' }, { query: '{ hello }' }]) });
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['GRAPHQL_BATCH_LIMIT']);
    } finally {
      await app.close();
    }
  });
});
