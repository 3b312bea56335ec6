import { createHmac, createSign, createVerify, generateKeyPairSync, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, graphql } from 'graphql';
import type { CliIo } from '../../cli-io';
import { runRampart } from '../../main';
import type { ScanReport } from '../scan-report';

/** Small purpose-built targets for the checks the two fixture apps do not exercise. */
const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-checks-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => unknown;

async function serve(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => void handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function scan(url: string, args: string[]): Promise<ScanReport> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false };
  const code = await runRampart(
    ['scan', '--target', url, '--repo-root', dir, '--fail-on', 'none', '--budget', '300', ...args],
    io,
  );
  if (code !== 0) throw new Error(err.join('\n'));
  return JSON.parse(out.join('\n')) as ScanReport;
}

const json = (res: ServerResponse, status: number, value: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));

describe('method switching (API5)', () => {
  it('reports an undocumented method answering 2xx, at the path’s documented line', async () => {
    const { server, url } = await serve((req, res) => {
      if (req.url === '/reports' && req.method === 'GET') json(res, 200, []);
      else if (req.url === '/reports' && req.method === 'POST') json(res, 201, { id: 'r1' });
      else json(res, 404, {});
    });
    try {
      const spec = file(
        'reports.yaml',
        'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /reports:\n    get:\n      responses: { "200": { description: ok } }\n',
      );
      const config = file(
        'reports-scan.yaml',
        'identities:\n  alice: { role: user, headers: { Authorization: "Bearer opaque-token-of-alice" } }\n',
      );
      const report = await scan(url, ['--openapi', spec, '--config', config, '--checks', 'function-level']);
      const found = report.findings.find((f) => f.rule === 'API5-METHOD-SWITCH');
      expect(found).toMatchObject({
        severity: 'medium',
        operation: 'POST /reports',
        location: { file: 'reports.yaml', line: 5 },
      });
      expect(found?.evidence[0].request.headers.Authorization).toBe('[REDACTED]');
    } finally {
      server.close();
    }
  });
});

describe('JWT algorithm confusion (API2)', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  const token = `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;

  /** Verifies RS256 properly; with `confused`, also HS256 keyed by the public key PEM. */
  function target(confused: boolean): Handler {
    return (req, res) => {
      if (req.url === '/.well-known/jwks.json')
        return json(res, 200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' }] });
      if (req.url !== '/me') return json(res, 404, {});
      const [h, p, s] = (req.headers.authorization ?? '').replace(/^Bearer /, '').split('.');
      let ok = false;
      try {
        const alg = (JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string }).alg;
        if (alg === 'RS256')
          ok = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(publicKey, Buffer.from(s, 'base64url'));
        if (alg === 'HS256' && confused) {
          const mac = createHmac('sha256', pem).update(`${h}.${p}`).digest();
          const given = Buffer.from(s, 'base64url');
          ok = mac.length === given.length && timingSafeEqual(mac, given);
        }
      } catch {
        ok = false;
      }
      return ok ? json(res, 200, { sub: 'alice' }) : json(res, 401, { message: 'Unauthorized' });
    };
  }

  it.each([
    [true, 'reports'],
    [false, 'passes'],
  ])('confused=%s: %s', async (confused) => {
    const { server, url } = await serve(target(confused));
    try {
      const spec = file(
        'me.yaml',
        'openapi: 3.0.3\ninfo: { title: t, version: "1" }\nsecurity: [{ bearer: [] }]\ncomponents: { securitySchemes: { bearer: { type: http, scheme: bearer } } }\npaths:\n  /me:\n    get:\n      responses: { "200": { description: ok } }\n',
      );
      const config = file(
        'me-scan.yaml',
        `identities:\n  alice: { role: user, headers: { Authorization: "Bearer ${token}" } }\n`,
      );
      const report = await scan(url, ['--openapi', spec, '--config', config, '--checks', 'authentication']);
      const found = report.findings.filter((f) => f.rule.startsWith('API2-'));
      if (confused)
        expect(found.map((f) => [f.rule, f.severity])).toEqual([['API2-JWT-ALGORITHM-CONFUSION', 'critical']]);
      else {
        expect(found).toEqual([]);
        expect(report.checks).toContainEqual(expect.objectContaining({ check: 'jwt-confusion', status: 'passed' }));
      }
      expect(JSON.stringify(report)).not.toContain(token.split('.')[2]);
    } finally {
      server.close();
    }
  });
});

describe('GraphQL abuse (API4, API8)', () => {
  const schema = buildSchema('type User { id: ID!, friend: User } type Query { me: User }');
  const user: { id: string; friend?: unknown } = { id: 'u1' };
  user.friend = user;
  const run = (q: { query?: string }) => graphql({ schema, source: String(q.query), rootValue: { me: () => user } });

  it('reports batching, aliases, depth and introspection on an unprotected endpoint', async () => {
    const { server, url } = await serve(async (req, res, body) => {
      if (req.url !== '/graphql' || req.method !== 'POST') return json(res, 404, {});
      const parsed = JSON.parse(body) as { query?: string } | Array<{ query?: string }>;
      json(res, 200, Array.isArray(parsed) ? await Promise.all(parsed.map(run)) : await run(parsed));
    });
    try {
      const report = await scan(url, ['--checks', 'graphql']);
      expect(report.findings.map((f) => `${f.rule} ${f.severity}`).sort()).toEqual([
        'API4-GRAPHQL-ALIASES medium',
        'API4-GRAPHQL-BATCHING medium',
        'API4-GRAPHQL-DEPTH medium',
        'API8-GRAPHQL-INTROSPECTION low',
      ]);
    } finally {
      server.close();
    }
  });

  it('skips when no endpoint answers', async () => {
    const { server, url } = await serve((_req, res) => json(res, 404, {}));
    try {
      const report = await scan(url, ['--checks', 'graphql']);
      expect(report.findings).toEqual([]);
      expect(report.checks).toContainEqual(expect.objectContaining({ check: 'graphql', status: 'skipped' }));
    } finally {
      server.close();
    }
  });
});

describe('tokens expiring during the scan', () => {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const shortLived = () => {
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 10 })}`;
    return `${input}.${createHmac('sha256', 'server-secret-0123456789abcdef0123').update(input).digest('base64url')}`;
  };

  it('logs a login identity in again; a static token that expires marks the scan incomplete', async () => {
    let logins = 0;
    const { server, url } = await serve((req, res) => {
      if (req.url === '/login') {
        logins += 1;
        return json(res, 200, { token: shortLived() });
      }
      return json(res, 404, {});
    });
    try {
      const login = file(
        'short-login.yaml',
        'identities:\n  alice: { login: { path: /login, body: { u: a }, token: token } }\n',
      );
      const report = await scan(url, ['--config', login, '--checks', 'inventory,exposure']);
      expect(logins).toBe(3); // the first login, then once before each of the two checks
      expect(report.complete).toBe(true);
      const fixed = file(
        'short-static.yaml',
        `identities:\n  alice: { headers: { Authorization: "Bearer ${shortLived()}" } }\n`,
      );
      const stale = await scan(url, ['--config', fixed, '--checks', 'inventory']);
      expect(stale.complete).toBe(false);
      expect(stale.incomplete).toContainEqual(expect.stringMatching(/static token of "alice" expired/));
    } finally {
      server.close();
    }
  });
});

describe('resource consumption (API4)', () => {
  it('reports an honoured page size, an accepted 2 MiB body and a limit keyed by X-Forwarded-For', async () => {
    const hits = new Map<string, number>();
    const { server, url } = await serve((req, res, body) => {
      const client = String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress);
      hits.set(client, (hits.get(client) ?? 0) + 1);
      if ((hits.get(client) ?? 0) > 30) return json(res, 429, { message: 'slow down' });
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/items' && req.method === 'GET')
        return json(
          res,
          200,
          Array.from({ length: Math.min(Number(u.searchParams.get('limit') ?? 10), 3000) }, (_, i) => ({ id: i })),
        );
      if (u.pathname === '/items' && req.method === 'POST') return json(res, 201, { id: 'i1', size: body.length });
      return json(res, 404, {});
    });
    try {
      const spec = file(
        'items.yaml',
        'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /items:\n    get:\n      parameters: [{ name: limit, in: query, schema: { type: integer } }]\n      responses: { "200": { description: ok } }\n    post:\n      requestBody: { content: { application/json: { schema: { type: object, properties: { name: { type: string } } } } } }\n      responses: { "201": { description: ok } }\n',
      );
      const report = await scan(url, ['--openapi', spec, '--checks', 'resources']);
      expect(report.findings.map((f) => `${f.rule} ${f.severity}`).sort()).toEqual([
        'API4-OVERSIZE-BODY medium',
        'API4-RATE-LIMIT-BYPASS high',
        'API4-UNBOUNDED-PAGE-SIZE medium',
      ]);
      expect(report.checks).toContainEqual(expect.objectContaining({ check: 'rate-limit', status: 'passed' }));
    } finally {
      server.close();
    }
  });
});

describe('business flows (API6) and default credentials (API2)', () => {
  it('reports an unlimited sensitive flow, a negative amount and a default account', async () => {
    const { server, url } = await serve((req, res, body) => {
      if (req.url === '/orders' && req.method === 'POST')
        return json(res, 201, { id: 'o1', ...(JSON.parse(body) as object) });
      if (req.url === '/login') {
        const { username, password } = JSON.parse(body) as { username: string; password: string };
        if (username === 'admin' && password === 'admin') return json(res, 200, { token: 'admin-session-token' });
        if (username === 'alice' && password === 'alice-pass') return json(res, 200, { token: 'alice-session-token' });
        return json(res, 401, { message: 'no' });
      }
      return json(res, 404, {});
    });
    try {
      const spec = file(
        'orders.yaml',
        'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /orders:\n    post:\n      requestBody: { content: { application/json: { schema: { type: object, properties: { sku: { type: string }, quantity: { type: integer, minimum: 1 } } } } } }\n      responses: { "201": { description: ok } }\n',
      );
      const config = file(
        'orders-scan.yaml',
        'identities:\n  alice: { login: { path: /login, body: { username: alice, password: alice-pass }, token: token } }\nsensitiveFlows: ["POST /orders"]\n',
      );
      const report = await scan(url, [
        '--openapi',
        spec,
        '--config',
        config,
        '--checks',
        'business-flows,login',
        '--default-credentials',
      ]);
      expect(report.findings.map((f) => `${f.rule} ${f.severity}`).sort()).toEqual([
        'API2-DEFAULT-CREDENTIALS critical',
        'API2-NO-BRUTE-FORCE-PROTECTION high',
        'API6-FLOW-NOT-LIMITED low',
        'API6-NEGATIVE-AMOUNT medium',
      ]);
      expect(JSON.stringify(report)).not.toMatch(/admin-session-token|alice-session-token|alice-pass/);
    } finally {
      server.close();
    }
  });
});

describe('TRACE and directory listings (API8)', () => {
  it('reports a TRACE that echoes the request and a listing', async () => {
    const { server, url } = await serve((req, res) => {
      if (req.method === 'TRACE')
        return res.writeHead(200, { 'content-type': 'message/http' }).end(
          `TRACE / HTTP/1.1\r\n${Object.entries(req.headers)
            .map(([k, v]) => `${k}: ${String(v)}`)
            .join('\r\n')}`,
        );
      if (req.url === '/uploads/')
        return res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<html><title>Index of /uploads/</title><a href="db.sql">db.sql</a></html>');
      return json(res, 404, {});
    });
    try {
      const report = await scan(url, ['--checks', 'misconfiguration']);
      expect(report.findings.map((f) => `${f.rule} ${f.operation}`).sort()).toEqual([
        'API8-DIRECTORY-LISTING GET /uploads/',
        'API8-TRACE-ENABLED TRACE /',
      ]);
    } finally {
      server.close();
    }
  });
});

describe('object level authorization and token handling (API1, API2)', () => {
  const SECRET = 'notes-server-secret-0123456789abcdef';
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const tokenFor = (sub: string) => {
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
    return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
  };

  /** Verifies HS256 properly, but follows a jku header first, and reads ?access_token=. */
  async function caller(req: IncomingMessage): Promise<string | undefined> {
    const u = new URL(req.url ?? '/', 'http://x');
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || u.searchParams.get('access_token') || '';
    const [h, p, s] = token.split('.');
    try {
      const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string; jku?: string };
      if (header.jku) await fetch(header.jku).catch(() => undefined);
      const mac = createHmac('sha256', SECRET).update(`${h}.${p}`).digest();
      const given = Buffer.from(s ?? '', 'base64url');
      if (header.alg !== 'HS256' || mac.length !== given.length || !timingSafeEqual(mac, given)) return undefined;
      return (JSON.parse(Buffer.from(p, 'base64url').toString()) as { sub: string }).sub;
    } catch {
      return undefined;
    }
  }

  it('reports cross-user writes, deletes and lists, an unprotected operation and tokens read from the query', async () => {
    const notes = new Map<string, { id: string; owner: string; text: string }>();
    let next = 0;
    const { server, url } = await serve(async (req, res, body) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/stats') return json(res, 200, { notes: notes.size });
      const who = await caller(req);
      if (!who) return json(res, 401, { message: 'Unauthorized' });
      const id = /^\/notes\/([^/]+)$/.exec(path)?.[1];
      if (path === '/notes' && req.method === 'POST') {
        const note = { id: `n${++next}`, owner: who, text: String((JSON.parse(body) as { text?: string }).text) };
        notes.set(note.id, note);
        return json(res, 201, note);
      }
      if (path === '/notes' && req.method === 'GET') return json(res, 200, [...notes.values()]);
      const note = id ? notes.get(id) : undefined;
      if (!note) return json(res, 404, {});
      if (req.method === 'GET') return note.owner === who ? json(res, 200, note) : json(res, 404, {});
      if (req.method === 'PATCH') {
        note.text = String((JSON.parse(body) as { text?: string }).text);
        return json(res, 200, note);
      }
      if (req.method === 'DELETE') {
        notes.delete(note.id);
        return res.writeHead(204).end();
      }
      return json(res, 404, {});
    });
    try {
      const spec = file(
        'notes.yaml',
        [
          'openapi: 3.0.3',
          'info: { title: t, version: "1" }',
          'security: [{ bearer: [] }]',
          'components: { securitySchemes: { bearer: { type: http, scheme: bearer } } }',
          'paths:',
          '  /stats:',
          '    get: { responses: { "200": { description: ok } } }',
          '  /notes:',
          '    get: { responses: { "200": { description: ok } } }',
          '    post:',
          '      requestBody: { content: { application/json: { schema: { type: object, properties: { text: { type: string } } } } } }',
          '      responses: { "201": { description: ok } }',
          '  /notes/{id}:',
          '    parameters: [{ name: id, in: path, required: true, schema: { type: string } }]',
          '    get: { responses: { "200": { description: ok } } }',
          '    patch:',
          '      requestBody: { content: { application/json: { schema: { type: object, properties: { text: { type: string } } } } } }',
          '      responses: { "200": { description: ok } }',
          '    delete: { responses: { "204": { description: ok } } }',
          '',
        ].join('\n'),
      );
      const config = file(
        'notes-scan.yaml',
        `identities:\n  alice: { role: user, headers: { Authorization: "Bearer ${tokenFor('alice')}" } }\n  bob: { role: user, headers: { Authorization: "Bearer ${tokenFor('bob')}" } }\n`,
      );
      const report = await scan(url, ['--openapi', spec, '--config', config, '--checks', 'authentication,bola']);
      expect(report.findings.map((f) => `${f.rule} ${f.severity} ${f.operation}`).sort()).toEqual([
        'API1-BOLA-DELETE high DELETE /notes/{id}',
        'API1-BOLA-LIST high GET /notes',
        'API1-BOLA-WRITE high PATCH /notes/{id}',
        'API2-JWT-KEY-INJECTION high GET /notes',
        'API2-NO-AUTH high GET /stats',
        'API2-TOKEN-IN-QUERY medium GET /notes',
      ]);
      expect(report.checks).toContainEqual(
        expect.objectContaining({ check: 'bola', operation: 'GET /notes/{id}', status: 'passed' }),
      );
      expect(JSON.stringify(report)).not.toContain(tokenFor('alice').split('.')[1]);
    } finally {
      server.close();
    }
  });
});
