import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../../sample-app/src/app.module';
import { DocumentsService } from '../../sample-app/src/documents/documents.service';
import { PaymentsService } from '../../sample-app/src/payments/payments.service';
import { sampleLogin } from '../fixtures/sample-login';
import { ADAPTERS, bootApp } from '../utils/app';

/** Every name `{}` inherits; `__proto__` is sent as a JSON own key like the others. */
const INHERITED_NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__'])];
/** The payload inspector's default forbidden keys: refused before any DTO, with their own constraint. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

interface ErrorBody {
  statusCode: number;
  code: string;
  errors?: Array<{ property: string; constraints: Record<string, string> }>;
}

/** The raw JSON text of `valid` with `name` added as one more own key. */
function withKey(valid: Record<string, unknown>, name: string): string {
  return `{${JSON.stringify(name)}:{"ownerId":"u-alice"},${JSON.stringify(valid).slice(1)}`;
}

describe.each(ADAPTERS)('sample app: undeclared properties named after Object.prototype members (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let token: string;
  let documents: DocumentsService;
  let payments: PaymentsService;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
    documents = app.get(DocumentsService);
    payments = app.get(PaymentsService);
    token = await sampleLogin(url);
  });
  afterAll(() => app.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body,
    });

  const routes = [
    {
      route: 'POST /documents',
      valid: { title: 't', body: 'b' },
      send: (body: string) => post('/documents', body),
      stored: () => documents.findAll().length,
    },
    {
      route: 'POST /payments',
      valid: { amount: 1250, currency: 'EUR' },
      send: (body: string) => post('/payments', body, { 'idempotency-key': randomUUID() }),
      stored: () => payments.count,
    },
  ];

  it.each(routes)('$route accepts the valid body (control)', async ({ valid, send, stored }) => {
    const before = stored();
    expect((await send(JSON.stringify(valid))).status).toBe(201);
    expect(stored()).toBe(before + 1);
  });

  it.each(routes.flatMap((r) => INHERITED_NAMES.map((name) => ({ ...r, name }))))(
    '$route refuses "$name" with 400 naming it, and stores nothing',
    async ({ valid, send, stored, name }) => {
      const before = stored();
      const res = await send(withKey(valid, name));
      expect(res.status).toBe(400);
      const body = (await res.json()) as ErrorBody;
      if (adapter === 'fastify' && name === '__proto__') {
        // Fastify's JSON parser refuses a __proto__ key itself, before any pipe runs (a parse error).
        expect(body).toMatchObject({ statusCode: 400, code: 'MALFORMED_BODY' });
      } else {
        expect(body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
        expect(body.errors).toEqual([
          FORBIDDEN.has(name)
            ? { property: name, constraints: { forbiddenKey: `${name} is not an allowed property name` } }
            : { property: name, constraints: { whitelistValidation: `property ${name} should not exist` } },
        ]);
      }
      expect(stored()).toBe(before);
    },
  );

  it('refuses them exactly like any other undeclared property (same status, code and shape)', async () => {
    const ordinary = (await (
      await post('/documents', withKey({ title: 't', body: 'b' }, 'isAdmin'))
    ).json()) as ErrorBody;
    const inherited = (await (
      await post('/documents', withKey({ title: 't', body: 'b' }, 'hasOwnProperty'))
    ).json()) as ErrorBody;
    expect({ ...inherited, requestId: undefined }).toEqual({
      ...ordinary,
      requestId: undefined,
      errors: [
        {
          property: 'hasOwnProperty',
          constraints: { whitelistValidation: 'property hasOwnProperty should not exist' },
        },
      ],
    });
  });
});
