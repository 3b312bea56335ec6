import type { INestApplication } from '@nestjs/common';
import { RAMPART_SECURITY_SCHEMES, SecurityInventory, type OpenApiDocument } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { setupApiDocs } from '../../sample-app/src/docs/docs.module';
import { validateOpenApi } from '../fixtures/openapi/validate-openapi';
import { ADAPTERS, bootApp } from '../utils/app';

type Operation = {
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: unknown }> }>;
  deprecated?: boolean;
  [key: string]: unknown;
};

const JWT = RAMPART_SECURITY_SCHEMES.jwt;
const API_KEY = RAMPART_SECURITY_SCHEMES.apiKey;
const SIGNATURE = RAMPART_SECURITY_SCHEMES.signature;
const USER = [{ [JWT]: [] }, { [API_KEY]: [] }];

/** For each operation: its security and exactly the error statuses it documents. */
const EXPECTED: Record<string, { security: unknown; errors: number[] }> = {
  'get /health': { security: [], errors: [429] },
  'post /partner/transfers': { security: [{ [SIGNATURE]: [] }], errors: [400, 401, 413, 415, 429] },
  'get /partner/internal/status': { security: [{ [SIGNATURE]: [] }], errors: [401, 429] },
  'get /partner/v1/balance': { security: [], errors: [410, 429] },
  'post /webhooks/stripe': { security: [], errors: [400, 401, 413, 415, 429] },
  'post /auth/login': { security: [], errors: [400, 413, 415, 429] },
  'post /auth/logout': { security: [{ [JWT]: [] }], errors: [400, 401, 413, 415, 429] },
  'get /auth/me': { security: USER, errors: [401, 429] },
  'post /payments': { security: USER, errors: [400, 401, 409, 413, 415, 422, 429, 503] },
  'post /documents': { security: USER, errors: [400, 401, 403, 413, 415, 429] },
  'get /documents/{id}': { security: USER, errors: [400, 401, 403, 404, 429] },
  'get /documents/{id}/shared': { security: USER, errors: [400, 401, 403, 404, 429] },
  'delete /documents/{id}': { security: USER, errors: [400, 401, 403, 404, 429] },
  'get /admin/users': { security: USER, errors: [401, 403, 429] },
  'get /plans/export': { security: USER, errors: [401, 429] },
};

describe.each(ADAPTERS)('OpenAPI document of the sample app (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let doc: OpenApiDocument & { paths: Record<string, Record<string, unknown>> };
  const op = (key: string): Operation => {
    const [method, path] = key.split(' ');
    const found = doc.paths[path]?.[method] as Operation | undefined;
    if (!found) throw new Error(`no operation ${key}`);
    return found;
  };

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule, undefined, setupApiDocs));
    const res = await fetch(`${url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as typeof doc;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('validates against the OpenAPI 3 schema', () => {
    expect(validateOpenApi(doc)).toEqual({ valid: true });
  });

  it('documents every route of the inventory and enriches every operation', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item ?? {}).map(([method, o]) => [`${method.toUpperCase()} ${path}`, o as Operation] as const),
    );
    const routes = app
      .get(SecurityInventory)
      .routes()
      .filter((r) => r.controller !== 'DocsController')
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(operations.map(([id]) => id).sort()).toEqual(routes.sort());
    for (const [, o] of operations) expect(typeof o['x-rampart-public']).toBe('boolean');
    expect(doc.paths['/docs']).toBeUndefined();
    expect(doc.paths['/openapi.json']).toBeUndefined();
  });

  it.each(Object.entries(EXPECTED))('%s: security and error responses', (key, expected) => {
    const o = op(key);
    expect(o.security).toEqual(expected.security);
    const errors = Object.keys(o.responses)
      .map(Number)
      .filter((s) => s >= 400);
    expect(errors).toEqual(expected.errors);
    for (const status of errors) {
      expect(o.responses[status].content).toEqual({
        'application/json': { schema: { $ref: '#/components/schemas/RampartError' } },
      });
    }
  });

  it('declares the security schemes and the error body schema', () => {
    expect(doc.components?.securitySchemes).toMatchObject({
      [JWT]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      [API_KEY]: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      [SIGNATURE]: { type: 'apiKey', in: 'header', name: 'X-Signature' },
    });
    expect(doc.components?.schemas?.RampartError).toMatchObject({
      type: 'object',
      required: ['statusCode', 'error', 'message', 'code'],
    });
  });

  it('puts the x-rampart extensions on each operation', () => {
    expect(op('get /documents/{id}')).toMatchObject({
      'x-rampart-public': false,
      'x-rampart-roles': [],
      'x-rampart-permissions': ['documents:read'],
      'x-rampart-scopes': [],
      'x-rampart-ownership': { resource: 'document', param: 'id' },
      'x-rampart-idempotent': false,
      'x-rampart-signed': false,
      'x-rampart-rate-limits': expect.arrayContaining([{ policy: 'default', limit: 10_000, windowSec: 60, by: 'ip' }]),
    });
    expect(op('get /health')['x-rampart-public']).toBe(true);
    expect(op('get /health')).not.toHaveProperty('x-rampart-ownership');
    expect(op('get /admin/users')['x-rampart-roles']).toEqual(['admin']);
    expect(op('post /partner/transfers')['x-rampart-signed']).toBe(true);
    expect(op('post /payments')['x-rampart-idempotent']).toBe(true);
  });

  it('documents the Idempotency-Key header, the signing headers, 429 headers and deprecation', () => {
    expect(op('post /payments').parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }),
    );
    expect(op('post /documents').parameters ?? []).not.toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key' }),
    );
    const signing = (op('post /partner/transfers').parameters ?? [])
      .filter((p) => p.in === 'header')
      .map((p) => p.name);
    expect(signing).toEqual(['X-Timestamp', 'X-Key-Id', 'X-Nonce']);
    expect(Object.keys(op('get /health').responses['429'].headers ?? {})).toEqual([
      'Retry-After',
      'RateLimit',
      'RateLimit-Policy',
    ]);
    expect(op('get /partner/v1/balance').deprecated).toBe(true);
  });

  it('serves /docs with a CSP relaxed for Swagger UI only, and keeps the API preset elsewhere', async () => {
    const docs = await fetch(`${url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(docs.headers.get('content-security-policy')).not.toMatch(/script-src[^;]*unsafe/);
    const asset = await fetch(`${url}/docs/swagger-ui-bundle.js`);
    expect([asset.status, asset.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await fetch(`${url}/docs/package.json`)).status).toBe(404);
    const health = await fetch(`${url}/health`);
    expect(health.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});
