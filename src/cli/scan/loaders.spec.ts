import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../cli-io';
import { runRampart } from '../main';
import { loadInventory } from './inventory.loader';
import { loadOpenApi, SpecError } from './openapi.loader';
import type { ScanReport } from './scan-report';

const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-loaders-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const SWAGGER = `{
  "swagger": "2.0",
  "info": { "title": "legacy", "version": "1" },
  "basePath": "/api",
  "securityDefinitions": { "key": { "type": "apiKey", "in": "header", "name": "X-Key" } },
  "security": [{ "key": [] }],
  "paths": {
    "/things/{id}": {
      "parameters": [{ "name": "id", "in": "path", "required": true, "type": "string" }],
      "get": { "responses": { "200": { "description": "ok", "schema": { "$ref": "#/definitions/Thing" } } } },
      "put": {
        "parameters": [{ "name": "body", "in": "body", "schema": { "$ref": "#/definitions/Thing" } }],
        "responses": { "200": { "description": "ok" } }
      }
    },
    "/ping": { "get": { "security": [], "deprecated": true, "responses": { "200": { "description": "ok" } } } }
  },
  "definitions": { "Thing": { "type": "object", "properties": { "name": { "type": "string" } } } }
}`;

const INVENTORY = {
  format: 'nestjs-rampart.inventory',
  version: 1,
  routes: [
    {
      id: 'GET /items/:id',
      kind: 'http',
      method: 'GET',
      path: '/items/:id',
      source: 'src/items/items.controller.ts',
      public: false,
      roles: ['editor'],
      ownership: { resource: 'item', param: 'id' },
      deprecated: null,
    },
    {
      id: 'GET /internal/dump',
      kind: 'http',
      method: 'GET',
      path: '/internal/dump',
      source: 'src/internal/dump.controller.ts',
      public: true,
      roles: [],
      deprecated: { sunset: '2020-01-01T00:00:00.000Z', link: null },
    },
    { id: 'query me', kind: 'graphql', method: 'query', path: 'me', source: null },
  ],
};

describe('OpenAPI loader', () => {
  it('reads Swagger 2 with $refs, basePath, body parameters, security and operation lines', async () => {
    const ops = await loadOpenApi(file('swagger.json', SWAGGER), 'swagger.json');
    const byKey = new Map(ops.map((o) => [o.key, o]));
    expect([...byKey.keys()].sort()).toEqual(['GET /api/ping', 'GET /api/things/{id}', 'PUT /api/things/{id}']);
    expect(byKey.get('PUT /api/things/{id}')).toMatchObject({
      pathParams: ['id'],
      secured: true,
      requestSchema: { type: 'object', properties: { name: { type: 'string' } } },
      location: { file: 'swagger.json', line: 11 },
    });
    expect(byKey.get('GET /api/things/{id}')?.responseSchema).toMatchObject({
      properties: { name: { type: 'string' } },
    });
    expect(byKey.get('GET /api/ping')).toMatchObject({ secured: false, deprecated: true, location: { line: 16 } });
  });

  it('refuses a document that is not OpenAPI, naming it', async () => {
    await expect(loadOpenApi(file('nope.yaml', 'hello: world\n'), 'nope.yaml')).rejects.toThrow(SpecError);
  });
});

describe('route inventory loader', () => {
  it('turns HTTP routes into operations located in their controller files; GraphQL entries are left out', () => {
    const ops = loadInventory(file('inventory.json', JSON.stringify(INVENTORY)), 'inventory.json');
    expect(ops.map((o) => o.key)).toEqual(['GET /items/{id}', 'GET /internal/dump']);
    expect(ops[0]).toMatchObject({
      secured: true,
      roles: ['editor'],
      ownershipParam: 'id',
      location: { file: 'src/items/items.controller.ts', line: 1 },
    });
    expect(ops[1]).toMatchObject({ secured: false, deprecated: true, sunset: '2020-01-01T00:00:00.000Z' });
  });

  it('refuses a file that is not an inventory', () => {
    expect(() => loadInventory(file('other.json', '{"routes": []}'), 'other.json')).toThrow(
      /not a nestjs-rampart route inventory/,
    );
  });
});

describe('rampart scan with an inventory and an OpenAPI document', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/internal/dump')
        res
          .writeHead(200, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' })
          .end('{"rows":[]}');
      else res.writeHead(404, { 'x-content-type-options': 'nosniff' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('reports live routes the document lacks, located in the controller file, and past-sunset routes still answering', async () => {
    const spec = file(
      'spec.yaml',
      'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /items/{id}:\n    get:\n      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]\n      responses: { "200": { description: ok } }\n',
    );
    const out: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: () => undefined, interactive: false };
    const code = await runRampart(
      [
        'scan',
        '--target',
        url,
        '--openapi',
        spec,
        '--inventory',
        file('inv.json', JSON.stringify(INVENTORY)),
        '--repo-root',
        dir,
        '--checks',
        'inventory',
        '--fail-on',
        'none',
      ],
      io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n')) as ScanReport;
    expect(report.inputs).toMatchObject({ openapi: 'spec.yaml', inventory: 'inv.json', operations: 2 });
    const undocumented = report.findings.find((f) => f.rule === 'API9-UNDOCUMENTED-OPERATION');
    expect(undocumented).toMatchObject({
      severity: 'medium',
      operation: 'GET /internal/dump',
      location: { file: 'src/internal/dump.controller.ts', line: 1 },
    });
    const deprecated = report.findings.find((f) => f.rule === 'API9-DEPRECATED-ALIVE');
    expect(deprecated).toMatchObject({ severity: 'medium', operation: 'GET /internal/dump' });
    expect(deprecated?.message).toMatch(/after its sunset/);
  });
});
