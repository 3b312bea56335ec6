import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { ALLOW_SENSITIVE_FIELDS_KEY, DEFAULT_SENSITIVE_FIELDS } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { sampleStepUp } from '../fixtures/sample-login';
import { ADAPTERS, bootApp } from '../utils/app';

interface Doc {
  id: string;
  ownerId: string;
  title: string;
}

const normalize = (name: string) => name.toLowerCase().replace(/[-_]/g, '');
const DENIED = new Set(DEFAULT_SENSITIVE_FIELDS.map(normalize));

/** Every key of a JSON value that is on the denylist (and not allowed), with its path. */
function deniedKeys(value: unknown, allowed: ReadonlySet<string>, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => deniedKeys(v, allowed, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(DENIED.has(normalize(key)) && !allowed.has(normalize(key)) ? [`${path}.${key}`] : []),
    ...deniedKeys(child, allowed, `${path}.${key}`),
  ]);
}

interface SampleRoute {
  method: string;
  path: string;
  allowed: ReadonlySet<string>;
}

/** Every route of the sample app, read from the controllers' metadata (nothing hand-listed). */
function sampleRoutes(app: INestApplication): SampleRoute[] {
  const discovery = new DiscoveryService(app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const routes: SampleRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const cls = wrapper.metatype as (new () => unknown) | undefined;
    if (!cls) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, cls) ?? '');
    for (const name of scanner.getAllMethodNames(cls.prototype)) {
      const handler = (cls.prototype as Record<string, object>)[name];
      const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (sub === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const allowed = (Reflect.getMetadata(ALLOW_SENSITIVE_FIELDS_KEY, handler) ??
        Reflect.getMetadata(ALLOW_SENSITIVE_FIELDS_KEY, cls) ??
        []) as string[];
      for (const path of Array.isArray(sub) ? sub : [sub]) {
        const full = `/${[base, path]
          .map((p) => p.replace(/^\/|\/$/g, ''))
          .filter(Boolean)
          .join('/')}`;
        routes.push({ method, path: full, allowed: new Set(allowed.map(normalize)) });
      }
    }
  }
  // Destructive routes last (deletes, then logout), so the records and tokens the others need still exist.
  const rank = (r: SampleRoute) => (r.path.includes('logout') ? 2 : r.method === 'DELETE' ? 1 : 0);
  return routes.sort((a, b) => rank(a) - rank(b));
}

describe.each(ADAPTERS)('authorization on the sample app (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const tokens: Record<string, string> = {};

  const call = async (method: string, path: string, user?: string, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (user) headers.authorization = `Bearer ${tokens[user]}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, json: text ? (JSON.parse(text) as unknown) : undefined };
  };

  const create = async (user: string, title: string) => {
    const res = await call('POST', '/documents', user, { title, body: `${title} body` });
    expect(res.status).toBe(201);
    return res.json as Doc;
  };

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
    for (const user of ['alice', 'bob', 'carol', 'admin']) {
      const res = await call('POST', '/auth/login', undefined, { username: user, password: `${user}-pass` });
      expect(res.status).toBeLessThan(300);
      tokens[user] = (res.json as { accessToken: string }).accessToken;
    }
    // Deleting documents and /admin need a TOTP step-up (bob has no authenticator in the sample).
    for (const user of ['alice', 'carol', 'admin']) tokens[user] = await sampleStepUp(url, tokens[user], user);
  });
  afterAll(() => app.close());

  it('requires a token', async () => {
    expect((await call('GET', '/documents')).status).toBe(401);
  });

  describe('IDOR matrix', () => {
    let aliceDoc: Doc;
    let bobDoc: Doc;

    beforeAll(async () => {
      aliceDoc = await create('alice', 'alice plan');
      bobDoc = await create('bob', 'bob plan');
    });

    it.each([
      ['GET', undefined],
      ['PATCH', { title: 'pwned' }],
      ['DELETE', undefined],
    ])('user A %s on user B’s document → 404, and the document is untouched', async (method, body) => {
      const res = await call(method, `/documents/${bobDoc.id}`, 'alice', body);
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
      const still = await call('GET', `/documents/${bobDoc.id}`, 'bob');
      expect(still.status).toBe(200);
      expect(still.json).toMatchObject({ id: bobDoc.id, title: 'bob plan' });
    });

    it('answers user B’s document exactly like a missing one', async () => {
      const foreign = await call('GET', `/documents/${bobDoc.id}`, 'alice');
      const missing = await call('GET', '/documents/00000000-0000-0000-0000-000000000000', 'alice');
      const strip = (b: unknown) => ({ ...(b as Record<string, unknown>), requestId: undefined });
      expect(strip(foreign.json)).toEqual(strip(missing.json));
    });

    it('lets the owner read, update and delete', async () => {
      const mine = await create('alice', 'temp');
      expect((await call('GET', `/documents/${mine.id}`, 'alice')).status).toBe(200);
      const patched = await call('PATCH', `/documents/${mine.id}`, 'alice', { title: 'renamed' });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ title: 'renamed' });
      expect((await call('DELETE', `/documents/${mine.id}`, 'alice')).status).toBe(204);
      expect((await call('GET', `/documents/${mine.id}`, 'alice')).status).toBe(404);
    });

    it('lists only the caller’s documents; the admin sees all', async () => {
      const alice = (await call('GET', '/documents', 'alice')).json as Doc[];
      expect(alice.length).toBeGreaterThan(0);
      expect(alice.every((d) => d.ownerId === 'u-alice')).toBe(true);
      expect(alice.map((d) => d.id)).toContain(aliceDoc.id);
      expect(alice.map((d) => d.id)).not.toContain(bobDoc.id);
      const bob = (await call('GET', '/documents', 'bob')).json as Doc[];
      expect(bob.every((d) => d.ownerId === 'u-bob')).toBe(true);
      const admin = (await call('GET', '/documents', 'admin')).json as Doc[];
      expect(admin.map((d) => d.id)).toEqual(expect.arrayContaining([aliceDoc.id, bobDoc.id]));
    });

    it('lets the admin read and delete others’ documents but not rewrite them (per-route opt-out)', async () => {
      const doomed = await create('bob', 'doomed');
      expect((await call('GET', `/documents/${bobDoc.id}`, 'admin')).status).toBe(200);
      expect((await call('PATCH', `/documents/${bobDoc.id}`, 'admin', { title: 'admin edit' })).status).toBe(404);
      expect((await call('DELETE', `/documents/${doomed.id}`, 'admin')).status).toBe(204);
      expect((await call('GET', `/documents/${doomed.id}`, 'bob')).status).toBe(404);
    });

    it('applies the document.read policy: same department and not confidential', async () => {
      const carolDoc = await create('carol', 'sales notes'); // carol and alice: sales; bob: engineering
      expect((await call('GET', `/documents/${carolDoc.id}/shared`, 'alice')).status).toBe(200);
      expect((await call('GET', `/documents/${carolDoc.id}/shared`, 'bob')).status).toBe(404);
      expect((await call('GET', `/documents/${carolDoc.id}`, 'alice')).status).toBe(404); // @Owns: owner only
    });
  });

  it('shows role-based fields to the roles that include them only (revision: editors and admins)', async () => {
    const aliceDoc = await create('alice', 'revisions');
    expect(aliceDoc).not.toHaveProperty('revision');
    const carolDoc = (await call('POST', '/documents', 'carol', { title: 'c', body: 'c' })).json as Doc;
    expect(carolDoc).toMatchObject({ revision: 1 });
    expect((await call('GET', `/documents/${aliceDoc.id}`, 'admin')).json).toMatchObject({ revision: 1 });
    expect((await call('GET', `/documents/${aliceDoc.id}`, 'alice')).json).not.toHaveProperty('revision');
  });

  it('pages the caller’s documents: default page size, capped limit, bad values refused', async () => {
    for (const title of ['p1', 'p2', 'p3']) await create('bob', title);
    const all = (await call('GET', '/documents?limit=100', 'bob')).json as Doc[];
    expect(all.length).toBeGreaterThanOrEqual(3);
    const first = (await call('GET', '/documents?limit=1', 'bob')).json as Doc[];
    const second = (await call('GET', '/documents?limit=1&page=2', 'bob')).json as Doc[];
    expect([first.length, second.length]).toEqual([1, 1]);
    expect(second[0].id).not.toBe(first[0].id);
    expect(((await call('GET', '/documents?limit=5000', 'bob')).json as Doc[]).length).toBe(Math.min(all.length, 100));
    for (const bad of ['limit=abc', 'limit=0', 'page=-1', 'offset=1e3']) {
      const res = await call('GET', `/documents?${bad}`, 'bob');
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  describe('attachments (UploadValidationPipe)', () => {
    const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
    const attach = (id: string, user: string, mimetype: string, bytes: Buffer) =>
      call('PUT', `/documents/${id}/attachment`, user, {
        filename: 'logo.png',
        mimetype,
        contentBase64: bytes.toString('base64'),
      });

    it('accepts a real PNG from the owner and records it', async () => {
      const doc = await create('alice', 'with logo');
      const res = await attach(doc.id, 'alice', 'image/png', PNG);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ attachment: { filename: 'logo.png', mimetype: 'image/png', size: PNG.length } });
    });

    it.each([
      ['a script named logo.png', 'image/png', Buffer.from('#!/bin/sh\nrm -rf /\n'), 415],
      ['a type not allowed', 'image/svg+xml', Buffer.from('<svg onload="alert(1)"/>'), 415],
      ['a file over 32 kB', 'image/png', Buffer.concat([PNG, Buffer.alloc(33 * 1024)]), 413],
    ])('refuses %s', async (_name, mimetype, bytes, status) => {
      const doc = await create('alice', 'bad attachment');
      const res = await attach(doc.id, 'alice', mimetype, bytes);
      expect(res.status).toBe(status);
      expect((await call('GET', `/documents/${doc.id}`, 'alice')).json).not.toHaveProperty('attachment');
    });

    it('answers 404 to anyone but the owner, admins included', async () => {
      const doc = await create('alice', 'private logo');
      expect((await attach(doc.id, 'bob', 'image/png', PNG)).status).toBe(404);
      expect((await attach(doc.id, 'admin', 'image/png', PNG)).status).toBe(404);
    });
  });

  it('still hands out the refresh token at login (the route allows it by name)', async () => {
    const res = await call('POST', '/auth/login', undefined, { username: 'bob', password: 'bob-pass' });
    expect(res.json).toEqual(
      expect.objectContaining({ accessToken: expect.any(String), refreshToken: expect.any(String) }),
    );
  });

  it('gives an API key its owner’s access, never more, whatever scopes its owner picked', async () => {
    const created = await call('POST', '/auth/api-keys', 'alice', { name: 'ci', scopes: ['admin', 'users:read'] });
    expect(created.status).toBe(201);
    const key = (created.json as { key: string }).key;
    const withKey = async (path: string) => (await fetch(`${url}${path}`, { headers: { 'x-api-key': key } })).status;
    expect(await withKey('/admin/users')).toBe(403);
    const bobDoc = await create('bob', 'key target');
    expect(await withKey(`/documents/${bobDoc.id}`)).toBe(404);
    expect(await withKey('/documents')).toBe(200);
  });

  it('keeps /admin/users for admins and strips password hashes', async () => {
    expect((await call('GET', '/admin/users', 'alice')).status).toBe(403);
    expect((await call('GET', '/admin/users', 'carol')).status).toBe(403);
    const res = await call('GET', '/admin/users', 'admin');
    expect(res.status).toBe(200);
    expect((res.json as unknown[]).length).toBe(4);
    expect(res.text).not.toMatch(/passwordHash|scrypt/i);
  });

  it('never returns a denylisted field from any sample route', async () => {
    const doc = await create('alice', 'walk');
    const routes = sampleRoutes(app);
    expect(routes.length).toBeGreaterThan(5);
    const bodies: Record<string, unknown> = {
      'POST /auth/login': { username: 'alice', password: 'alice-pass' },
      'POST /documents': { title: 'walk', body: 'walk' },
      'PATCH /documents/:id': { title: 'walked' },
    };
    const offences: string[] = [];
    const succeeded = new Set<string>();
    for (const route of routes) {
      const path = route.path.replace(/:[A-Za-z]+/g, (p) => (p === ':id' ? doc.id : 'x'));
      for (const user of ['alice', 'admin', undefined]) {
        const key = `${route.method} ${route.path}`;
        const res = await call(route.method, path, user, bodies[key] ?? (route.method === 'GET' ? undefined : {}));
        if (!res.text || !/^[[{]/.test(res.text)) continue;
        if (res.status < 300) succeeded.add(key);
        for (const found of deniedKeys(res.json, route.allowed))
          offences.push(`${key} as ${user ?? 'anonymous'}: ${found}`);
      }
    }
    expect(offences).toEqual([]);
    // The walk really reached the handlers (not only error bodies), the document routes among them.
    expect(succeeded.size).toBeGreaterThanOrEqual(8);
    for (const key of ['GET /documents', 'GET /documents/:id', 'GET /admin/users', 'POST /auth/login']) {
      expect(succeeded).toContain(key);
    }
  });
});
