import type { INestApplication } from '@nestjs/common';
import { SecurityInventory, type InventoryRoute } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';

type Expected = Partial<Omit<InventoryRoute, 'id'>>;

const USER = ['jwt', 'api-key'];
const SAMPLE_BOLA_ACCEPTED = { code: 'RAMPART_POSSIBLE_BOLA' as const, reason: expect.stringMatching(/^Admins /) };

/** Every route of the sample app and what must protect it. */
const EXPECTED: Record<string, Expected> = {
  'GET /health': { public: true, authentication: [], controller: 'HealthController', handler: 'health' },
  'POST /partner/transfers': { public: true, signed: true, bodyDto: 'TransferDto' },
  // signing.paths covers /partner/internal/
  'GET /partner/internal/status': { public: true, signed: true },
  'GET /partner/v1/balance': {
    public: true,
    signed: false,
    deprecated: {
      sunset: '2027-06-30T00:00:00.000Z',
      link: 'https://github.com/nestjs-rampart/nestjs-rampart/blob/main/docs/http-edge.md#api-deprecation',
    },
  },
  'POST /webhooks/standard': { public: true, webhook: { scheme: 'standard' }, signed: false, bodyDto: null },
  'POST /webhooks/stripe': { public: true, webhook: { scheme: 'stripe' } },
  'POST /webhooks/github': { public: true, webhook: { scheme: 'github' } },
  'POST /auth/login': {
    public: true,
    bodyDto: 'LoginDto',
    rateLimits: expect.arrayContaining([{ policy: 'login', limit: 500, windowSec: 300, by: 'ip+username' }]),
  },
  'POST /auth/refresh': {
    public: true,
    bodyDto: 'RefreshDto',
    rateLimits: expect.arrayContaining([{ policy: 'refresh', limit: 30, windowSec: 60, by: 'ip' }]),
  },
  'POST /auth/logout': { public: false, authentication: ['jwt'], bodyDto: 'LogoutDto' },
  'POST /auth/api-keys': { public: false, authentication: ['jwt'], bodyDto: 'CreateApiKeyDto' },
  'POST /auth/mfa/enroll': { public: false, authentication: ['jwt'], bodyDto: null },
  'POST /auth/mfa/verify': { public: false, authentication: ['jwt'], bodyDto: 'MfaCodeDto' },
  'GET /auth/me': { public: false, authentication: USER, bodyDto: null },
  'POST /auth/session': {
    public: true,
    bodyDto: 'LoginDto',
    rateLimits: expect.arrayContaining([{ policy: 'login', limit: 500, windowSec: 300, by: 'ip+username' }]),
  },
  'POST /auth/session/refresh': {
    public: true,
    bodyDto: null,
    rateLimits: expect.arrayContaining([{ policy: 'refresh', limit: 30, windowSec: 60, by: 'ip' }]),
  },
  'POST /auth/session/logout': {
    public: true,
    bodyDto: null,
    rateLimits: expect.arrayContaining([{ policy: 'logout', limit: 30, windowSec: 60, by: 'ip' }]),
  },
  'POST /payments': { public: false, authentication: USER, idempotent: true, bodyDto: 'CreatePaymentDto' },
  'POST /documents': {
    authentication: USER,
    permissions: ['documents:write'],
    ownership: null,
    bodyDto: 'CreateDocumentDto',
    responseFilter: 'DocumentResponse',
  },
  'GET /documents': { permissions: ['documents:read'], ownership: null, responseFilter: 'DocumentResponse' },
  'GET /documents/:id': {
    permissions: ['documents:read'],
    ownership: { resource: 'document', param: 'id' },
    policies: [],
    idempotent: false,
  },
  'GET /documents/:id/shared': { permissions: ['documents:read'], ownership: null, policies: ['document.read'] },
  'PATCH /documents/:id': {
    permissions: ['documents:write'],
    ownership: { resource: 'document', param: 'id' },
    bodyDto: 'UpdateDocumentDto',
  },
  'PUT /documents/:id/attachment': {
    permissions: ['documents:write'],
    ownership: { resource: 'document', param: 'id' },
    bodyDto: 'AttachmentDto',
  },
  'DELETE /documents/:id': { permissions: ['documents:delete'], ownership: { resource: 'document', param: 'id' } },
  'GET /admin/users': { roles: ['admin'], authentication: USER, acceptedRisks: [] },
  'GET /admin/users/:id': { roles: ['admin'], warnings: [], acceptedRisks: [SAMPLE_BOLA_ACCEPTED] },
  'POST /plans/users/:id/paid-key': { roles: ['admin'], warnings: [], acceptedRisks: [SAMPLE_BOLA_ACCEPTED] },
  // Outside production: the OpenAPI document and Swagger UI (public, CSP relaxed for the UI only).
  'GET /openapi.json': { public: true, controller: 'DocsController', handler: 'openapi' },
  'GET /docs': { public: true, handler: 'page' },
  'GET /docs/swagger-ui-init.js': { public: true, handler: 'init' },
  'GET /docs/:asset': { public: true, handler: 'asset', warnings: [] },
  'GET /plans/export': {
    authentication: USER,
    roles: [],
    rateLimits: expect.arrayContaining([
      { policy: 'authenticated.minute', limit: 5, windowSec: 60, by: 'principal' },
      { policy: 'paid.minute', limit: 50, windowSec: 60, by: 'principal' },
      { policy: 'anonymous.minute', limit: 2000, windowSec: 60, by: 'ip' },
      { policy: 'default', limit: 10_000, windowSec: 60, by: 'ip' },
    ]),
  },
};

describe.each(ADAPTERS)('route inventory of the sample app (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let routes: InventoryRoute[];

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
    routes = app.get(SecurityInventory).routes();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists every route of the app, once', () => {
    expect(routes.map((r) => r.id).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s has the right protections', (id, expected) => {
    const route = routes.find((r) => r.id === id);
    expect(route).toMatchObject({ kind: 'http', ...expected });
  });

  it('has no open warning: the reviewed risks are accepted with reasons', () => {
    expect(routes.filter((r) => r.warnings.length > 0).map((r) => [r.id, r.warnings])).toEqual([]);
    expect(routes.filter((r) => r.acceptedRisks.length > 0).map((r) => r.id)).toEqual([
      'GET /admin/users/:id',
      'POST /plans/users/:id/paid-key',
    ]);
  });

  it('every non-public route answers 401 to a caller without credentials, every public one does not', async () => {
    for (const route of routes) {
      const res = await fetch(`${url}${route.path.replace(/:id/g, 'u1')}`, {
        method: route.method,
        headers: { 'content-type': 'application/json' },
        body: route.method === 'GET' ? undefined : '{}',
      });
      // Signed and webhook routes are public but refuse an unsigned request with 401 too, and so
      // does the cookie-session refresh without its refresh cookie.
      const expected401 =
        !route.public || route.signed || route.webhook !== null || route.id === 'POST /auth/session/refresh';
      expect([route.id, res.status === 401]).toEqual([route.id, expected401]);
    }
  });

  it('is JSON-serialisable and matches the inventory file format', () => {
    const doc = JSON.parse(JSON.stringify(app.get(SecurityInventory).toJSON())) as { routes: unknown[] };
    expect(doc).toMatchObject({ format: 'nestjs-rampart.inventory', version: 1 });
    expect(doc.routes).toEqual(routes);
  });
});
