import type { INestApplication, Type } from '@nestjs/common';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TokenService } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';
import { removeGenerated, writeBlocks } from './doc-blocks';

/**
 * docs/graphql.md's modules, exactly as written there, boot with `SecurityGraphQL.forRoot` (no
 * global module) and do what the page says: the Apollo module on both adapters, the Mercurius one
 * on Fastify.
 */
const FOLDER = `graphql-${process.pid}`;
const previousSecret = process.env.JWT_SECRET;
process.env.JWT_SECRET = randomBytes(48).toString('base64url');
// Written and loaded once: @nestjs/graphql keeps one type registry per process.
const dir = writeBlocks(FOLDER, 'docs/graphql.md');
/* eslint-disable @typescript-eslint/no-require-imports -- the page's own modules, written out just now */
const { AppModule } = require(join(dir, 'app.module.ts')) as { AppModule: Type };
const { MercuriusAppModule } = require(join(dir, 'mercurius.module.ts')) as { MercuriusAppModule: Type };
/* eslint-enable @typescript-eslint/no-require-imports */
afterAll(() => {
  removeGenerated(FOLDER);
  if (previousSecret === undefined) delete process.env.JWT_SECRET;
  else process.env.JWT_SECRET = previousSecret;
});

interface Reply {
  status: number;
  body: { data?: unknown; errors?: Array<{ path?: unknown[]; extensions?: { code?: string } }>; extensions?: unknown };
}

async function query(url: string, text: string, token?: string): Promise<Reply> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: text }),
  });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}
const codes = (r: Reply) => r.body.errors?.map((e) => e.extensions?.code);

describe.each(ADAPTERS)('docs/graphql.md Apollo module (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let token: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
    token = (await app.get(TokenService).issue({ id: 'u1', roles: [] })).accessToken;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('needs a token, and answers with the remaining budget', async () => {
    expect(codes(await query(url, '{ books { title } }'))).toEqual(['AUTHENTICATION_REQUIRED']);
    const res = await query(url, '{ books(first: 2) { title } }', token);
    expect(res.body.data).toEqual({ books: [{ title: 'Dune' }] });
    expect(res.body.extensions).toMatchObject({ rateLimit: { cost: 3, limit: 10_000 } });
  });

  it('hides the editors-only field, refuses above maxCost and beyond the alias limit', async () => {
    const notes = await query(url, '{ book(id: "b1") { title internalNotes } }', token);
    expect(notes.body.data).toEqual({ book: { title: 'Dune', internalNotes: null } });
    expect(codes(notes)).toEqual(['PERMISSION_DENIED']);
    const costly = await query(url, '{ books(first: 5000) { title } }', token);
    expect(costly.status).toBe(400);
    expect(codes(costly)).toEqual(['GRAPHQL_COST_LIMIT']);
    const aliases = Array.from({ length: 16 }, (_, i) => `b${i}: book(id: "b1") { title }`).join(' ');
    expect(codes(await query(url, `{ ${aliases} }`, token))).toEqual(['GRAPHQL_ALIAS_LIMIT']);
  });
});

describe('docs/graphql.md Mercurius module (fastify)', () => {
  it('boots on Fastify and answers the public query', async () => {
    const { app, url } = await bootApp('fastify', MercuriusAppModule);
    try {
      expect((await query(url, '{ hello }')).body.data).toEqual({ hello: 'world' });
    } finally {
      await app.close();
    }
  });
});
