import type { INestApplication, Type } from '@nestjs/common';
import { join } from 'node:path';
import { ADAPTERS, bootApp } from '../utils/app';
import { removeGenerated, writeBlocks } from './doc-blocks';

/**
 * docs/graphql.md's module, exactly as written there, boots (SecuritySettings resolves in
 * GraphQLModule.forRootAsync thanks to isGlobal) and its limits apply, on both adapters.
 */
const FOLDER = `graphql-${process.pid}`;
// Written and loaded once: @nestjs/graphql keeps one type registry per process, so the page's
// classes must be the same for both adapters.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the page's own module, written out just now
const { AppModule } = require(join(writeBlocks(FOLDER, 'docs/graphql.md'), 'app.module.ts')) as { AppModule: Type };
afterAll(() => removeGenerated(FOLDER));

describe.each(ADAPTERS)('docs/graphql.md Apollo module (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
  });
  afterAll(async () => {
    await app?.close();
  });

  async function query(
    text: string,
  ): Promise<{ status: number; body: { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } }> {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: text }),
    });
    return { status: res.status, body: (await res.json()) as never };
  }

  it('answers a query within the limits', async () => {
    const res = await query('{ categories(first: 5) { name children { name } } }');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({
      categories: [{ name: 'books', children: [{ name: 'novels' }, { name: 'poetry' }] }],
    });
  });

  it('refuses a query deeper than graphql.maxDepth before any resolver runs', async () => {
    const res = await query('{ categories { children { children { children { children { name } } } } } }');
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors?.map((e) => e.extensions?.code)).toContain('GRAPHQL_DEPTH_LIMIT');
  });

  it('refuses introspection when it is disabled', async () => {
    const res = await query('{ __schema { types { name } } }');
    expect(res.body.errors?.map((e) => e.extensions?.code)).toContain('GRAPHQL_INTROSPECTION_DISABLED');
  });
});
