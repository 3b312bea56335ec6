import type { INestApplication } from '@nestjs/common';
import { SecurityInventory } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';
import { codes, expectNoInternals, gql } from '../fixtures/graphql/graphql-client';

interface Doc {
  id: string;
  title: string;
  revision: number | null;
  owner: { username: string };
}

describe.each(ADAPTERS)('GraphQL sample app (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const tokens: Record<string, string> = {};
  let aliceDoc: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule.withGraphql(adapter)));
    for (const user of ['alice', 'bob', 'carol', 'admin']) {
      const res = await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: user, password: `${user}-pass` }),
      });
      tokens[user] = ((await res.json()) as { accessToken: string }).accessToken;
    }
    const created = await gql(url, 'mutation($i: CreateDocumentInput!) { createDocument(input: $i) { id } }', {
      token: tokens.alice,
      variables: { i: { title: 'plan', body: 'secret plan' } },
    });
    aliceDoc = (created.body.data?.createDocument as { id: string }).id;
  });
  afterAll(() => app?.close());

  const docQuery = 'query($id: ID!) { document(id: $id) { id title revision owner { username } } }';

  describe('authentication', () => {
    it('refuses a query without a token with AUTHENTICATION_REQUIRED, and a forged one with INVALID_TOKEN', async () => {
      const none = await gql(url, '{ me { id } }');
      expect(none.status).toBe(200);
      expect(codes(none)).toEqual(['AUTHENTICATION_REQUIRED']);
      expect(none.body.data).toBeNull();
      const forged = await gql(url, '{ me { id } }', { token: 'eyJhbGciOiJIUzI1NiJ9.e30.x' });
      expect(codes(forged)).toEqual(['INVALID_TOKEN']);
      expectNoInternals(forged);
    });

    it('answers me for a signed-in user', async () => {
      const res = await gql(url, '{ me { id username roles } }', { token: tokens.bob });
      expect(res.body).toMatchObject({ data: { me: { id: 'u-bob', username: 'bob', roles: ['user'] } } });
      expect(res.body.errors).toBeUndefined();
    });
  });

  describe('ownership (@Owns by id argument)', () => {
    it("gives the owner her document, and someone else's as null with NOT_FOUND", async () => {
      const mine = await gql(url, docQuery, { token: tokens.alice, variables: { id: aliceDoc } });
      expect((mine.body.data?.document as Doc).title).toBe('plan');
      const other = await gql(url, docQuery, { token: tokens.bob, variables: { id: aliceDoc } });
      expect(other.body.data).toEqual({ document: null });
      expect(codes(other)).toEqual(['NOT_FOUND']);
      const missing = await gql(url, docQuery, { token: tokens.bob, variables: { id: 'nope' } });
      expect(codes(missing)).toEqual(['NOT_FOUND']);
      expect(other.body.errors?.[0].message).toBe(missing.body.errors?.[0].message);
    });

    it('checks each aliased root field on its own id', async () => {
      const mine = await gql(url, 'mutation($i: CreateDocumentInput!) { createDocument(input: $i) { id } }', {
        token: tokens.bob,
        variables: { i: { title: 'bob', body: 'b' } },
      });
      const bobDoc = (mine.body.data?.createDocument as { id: string }).id;
      const res = await gql(
        url,
        'query($a: ID!, $b: ID!) { a: document(id: $a) { title } b: document(id: $b) { title } }',
        {
          token: tokens.bob,
          variables: { a: bobDoc, b: aliceDoc },
        },
      );
      expect(res.body.data).toEqual({ a: { title: 'bob' }, b: null });
      expect(codes(res)).toEqual(['NOT_FOUND']);
    });

    it("refuses deleting someone else's document (mutation) and lets the owner delete", async () => {
      const created = await gql(url, 'mutation { createDocument(input: { title: "x", body: "y" }) { id } }', {
        token: tokens.alice,
      });
      const id = (created.body.data?.createDocument as { id: string }).id;
      const bob = await gql(url, 'mutation($id: ID!) { deleteDocument(id: $id) }', {
        token: tokens.bob,
        variables: { id },
      });
      expect(codes(bob)).toEqual(['NOT_FOUND']);
      const alice = await gql(url, 'mutation($id: ID!) { deleteDocument(id: $id) }', {
        token: tokens.alice,
        variables: { id },
      });
      expect(alice.body.data).toEqual({ deleteDocument: true });
    });
  });

  describe('roles and permissions', () => {
    it('hides a field resolver (@Roles) from callers without the role, without failing the query', async () => {
      const alice = await gql(url, docQuery, { token: tokens.alice, variables: { id: aliceDoc } });
      expect(alice.body.data?.document).toMatchObject({ title: 'plan', revision: null, owner: { username: 'alice' } });
      expect(codes(alice)).toEqual(['PERMISSION_DENIED']);
      expect(alice.body.errors?.[0].path).toEqual(['document', 'revision']);
      const admin = await gql(url, docQuery, { token: tokens.admin, variables: { id: aliceDoc } });
      expect(admin.body.data?.document).toMatchObject({ revision: 1 });
      expect(admin.body.errors).toBeUndefined();
    });

    it('keeps admin-only queries (@Roles on a query) and fields for admins', async () => {
      const alice = await gql(url, '{ users { id } }', { token: tokens.alice });
      expect(alice.body.data).toBeNull();
      expect(codes(alice)).toEqual(['PERMISSION_DENIED']);
      const admin = await gql(url, '{ users { username email } }', { token: tokens.admin });
      expect(admin.body.data?.users).toEqual(
        expect.arrayContaining([{ username: 'alice', email: 'alice@example.com' }]),
      );
      const email = await gql(url, '{ me { email } }', { token: tokens.carol });
      expect(email.body.data).toEqual({ me: { email: null } });
      expect(codes(email)).toEqual(['PERMISSION_DENIED']);
    });

    it("lists only the caller's documents, all of them for admins", async () => {
      const bob = await gql(url, '{ documents { owner { username } } }', { token: tokens.bob });
      const owners = (bob.body.data?.documents as Doc[]).map((d) => d.owner.username);
      expect(new Set(owners)).toEqual(new Set(['bob']));
      const admin = await gql(url, '{ documents(first: 100) { owner { username } } }', { token: tokens.admin });
      expect((admin.body.data?.documents as Doc[]).map((d) => d.owner.username)).toContain('alice');
    });
  });

  describe('cost budget', () => {
    it('tells the remaining budget in extensions.rateLimit and the IETF RateLimit headers', async () => {
      const res = await gql(url, '{ documents(first: 5) { id title } }', { token: tokens.carol });
      expect(res.body.extensions?.rateLimit).toMatchObject({ cost: 1 + 5 * 2, limit: 10_000 });
      expect(res.headers.get('ratelimit-policy')).toContain('"graphql-cost";q=10000;w=60');
      expect(res.headers.get('ratelimit')).toMatch(/"graphql-cost";r=\d+;t=\d+/);
    });

    it('refuses an operation above maxCost before execution, with the cost', async () => {
      const res = await gql(url, '{ documents(first: 100000) { id owner { documents(first: 100) { id } } } }', {
        token: tokens.carol,
      });
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['GRAPHQL_COST_LIMIT']);
      expect(res.body.errors?.[0].extensions).toMatchObject({ maxCost: 5000, cost: expect.any(Number) });
      expect(res.body.data ?? null).toBeNull();
    });

    it('reads list sizes from variables', async () => {
      const res = await gql(url, 'query($n: Int) { documents(first: $n) { id } }', {
        token: tokens.carol,
        variables: { n: 100_000 },
      });
      expect(codes(res)).toEqual(['GRAPHQL_COST_LIMIT']);
    });
  });

  describe('document limits (GraphQL Armor README attacks)', () => {
    it('refuses deep queries', async () => {
      const deep =
        '{ me { documents { owner { documents { owner { documents { owner { documents { owner { documents { owner { id } } } } } } } } } } } }';
      const res = await gql(url, deep, { token: tokens.alice });
      expect(res.status).toBe(400);
      expect(codes(res)).toContain('GRAPHQL_DEPTH_LIMIT');
      expectNoInternals(res);
    });

    it('refuses alias overloading, __typename included', async () => {
      const aliases = Array.from({ length: 100 }, (_, i) => `a${i}: __typename`).join(' ');
      const res = await gql(url, `{ ${aliases} }`);
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['GRAPHQL_ALIAS_LIMIT']);
    });

    it('refuses directive overloading', async () => {
      const directives = Array.from({ length: 60 }, () => '@include(if: true)').join(' ');
      const res = await gql(url, `{ __typename ${directives} }`);
      expect(res.status).toBe(400);
      expect(codes(res)).toContain('GRAPHQL_DIRECTIVE_LIMIT');
    });

    it('refuses token floods in the parser', async () => {
      const res = await gql(url, `{ ${'__typename '.repeat(5000)} }`);
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['GRAPHQL_TOKEN_LIMIT']);
      expectNoInternals(res);
    });

    it('refuses batched operations (array bodies)', async () => {
      const one = { query: '{ __typename }' };
      const res = await gql(url, '', { raw: JSON.stringify([one, one, one]) });
      expect(res.status).toBe(400);
      // Apollo refuses batching before any operation; Mercurius' context refuses it (Fastify error shape).
      expect(JSON.stringify(res.body)).toMatch(/batching disabled|Too many operations/i);
    });

    it('shows field suggestions outside production only', async () => {
      const res = await gql(url, '{ me { usernam } }', { token: tokens.alice });
      expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(res.body.errors?.[0].message).toContain('Did you mean');
    });
  });

  describe('inventory', () => {
    it('lists the GraphQL operations with their protections', () => {
      const routes = app
        .get(SecurityInventory)
        .toJSON()
        .routes.filter((r) => r.kind === 'graphql');
      const byId = new Map(routes.map((r) => [r.id, r]));
      expect(byId.get('query document')).toMatchObject({
        method: 'query',
        path: 'document',
        handler: 'document',
        public: false,
        permissions: ['documents:read'],
        ownership: { resource: 'document', param: 'id' },
      });
      expect(byId.get('query users')).toMatchObject({ roles: ['admin'], handler: 'allUsers' });
      // Plain @ObjectType() properties with their own @Roles(), listed like field resolvers.
      expect(byId.get('field Document.revision')).toMatchObject({
        method: 'field',
        path: 'Document.revision',
        controller: 'DocumentModel',
        handler: 'revision',
        public: false,
        authentication: ['jwt', 'api-key'],
        roles: ['editor', 'admin'],
        permissions: [],
      });
      expect(byId.get('field User.email')).toMatchObject({ roles: ['admin'], handler: 'email', public: false });
      expect(byId.get('mutation createDocument')?.rateLimits).toEqual(
        expect.arrayContaining([expect.objectContaining({ policy: 'create-document', limit: 30 })]),
      );
      expect([...byId.keys()].sort()).toEqual(
        [
          'field Document.owner',
          'field Document.revision',
          'field User.documents',
          'field User.email',
          'mutation createDocument',
          'mutation deleteDocument',
          'query document',
          'query documents',
          'query me',
          'query users',
        ].sort(),
      );
      expect(routes.flatMap((r) => r.warnings)).toEqual([]);
    });
  });

  describe('CSRF', () => {
    it('refuses a text/plain POST and a mutation over GET', async () => {
      const plain = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: 'mutation { deleteDocument(id: "x") }' }),
      });
      expect(plain.status).toBeGreaterThanOrEqual(400);
      expect(plain.status).toBeLessThan(500);
      const form = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'query=mutation%7BdeleteDocument(id%3A%22x%22)%7D',
      });
      expect(form.status).toBeGreaterThanOrEqual(400);
      expect(form.status).toBeLessThan(500);
      const get = await fetch(`${url}/graphql?query=${encodeURIComponent('mutation { deleteDocument(id: "x") }')}`, {
        headers: {
          authorization: `Bearer ${tokens.alice}`,
          'apollo-require-preflight': '1',
          'x-mercurius-operation-name': 'x',
        },
      });
      expect(get.status).toBeGreaterThanOrEqual(400);
      expect(get.status).toBeLessThan(500);
    });
  });
});
