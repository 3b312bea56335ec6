import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';

/** A few headers of the API preset: present on every response, whatever rejected the request. */
const PRESET = ['content-security-policy', 'x-content-type-options', 'strict-transport-security', 'cache-control'];

async function send(url: string, path: string, init: RequestInit = {}) {
  const res = await fetch(url + path, init);
  const text = await res.text();
  return { res, text, body: JSON.parse(text) as Record<string, unknown> };
}

function expectEdge(res: Response, body: Record<string, unknown>): void {
  for (const name of PRESET) expect(res.headers.get(name)).toBeTruthy();
  expect(res.headers.get('x-powered-by')).toBeNull();
  const id = res.headers.get('x-request-id');
  expect(id).toBeTruthy();
  expect(body.requestId).toBe(id);
  expect(Object.keys(body).sort()).toEqual(
    expect.arrayContaining(['code', 'error', 'message', 'requestId', 'statusCode']),
  );
}

describe.each(ADAPTERS)('hostile input on the sample app (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
  });
  afterAll(() => app.close());

  describe('errors raised before the routes carry the edge and the library shape', () => {
    it('malformed JSON: 400 MALFORMED_BODY, generic message, nothing of the body echoed', async () => {
      const { res, text, body } = await send(url, '/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username":"alice","password":"hunter2-secret',
      });
      expect(res.status).toBe(400);
      expectEdge(res, body);
      expect(body).toMatchObject({ statusCode: 400, code: 'MALFORMED_BODY', message: 'Malformed request body' });
      expect(text).not.toMatch(/hunter2|position|JSON/);
    });

    it('undecodable path: 400 with the preset and no framework body', async () => {
      const { res, text, body } = await send(url, '/documents/%ff');
      expect(res.status).toBe(400);
      expectEdge(res, body);
      expect(body).toMatchObject({ code: 'BAD_REQUEST', message: 'Malformed request URL' });
      expect(text).not.toMatch(/%ff|FST_|param/i);
    });

    it('unknown route: a generic NOT_FOUND, the same on both adapters, path not echoed', async () => {
      const { res, text, body } = await send(url, '/no/such/route-xyz');
      expect(res.status).toBe(404);
      expectEdge(res, body);
      expect(body).toMatchObject({
        statusCode: 404,
        error: 'Not Found',
        code: 'NOT_FOUND',
        message: 'Resource not found',
      });
      expect(text).not.toMatch(/route-xyz|Cannot/);
    });

    it('unknown route on OPTIONS: the same generic 404', async () => {
      const { res, body } = await send(url, '/no/such/route-xyz', { method: 'OPTIONS' });
      expect(res.status).toBe(404);
      expectEdge(res, body);
      expect(body).toMatchObject({ code: 'NOT_FOUND', message: 'Resource not found' });
    });

    it('declared body over the limit: 413 with the preset', async () => {
      const { res, body } = await send(url, '/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'a', password: 'x'.repeat(1_100_000) }),
      });
      expect(res.status).toBe(413);
      expectEdge(res, body);
      expect(body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('unsupported charset: 415 with the preset and a generic message on both adapters', async () => {
      const { res, body } = await send(url, '/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=koi8-r' },
        body: '{}',
      });
      expect(res.status).toBe(415);
      expectEdge(res, body);
      expect(body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported Content-Type' });
    });
  });
});
