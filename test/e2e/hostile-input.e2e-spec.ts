import { connect } from 'node:net';
import { Body, Controller, Module, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Public, SecurityModule } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';

/** What a raw socket saw: the bytes received, and whether the server closed it within the bound. */
interface RawExchange {
  response: string;
  status: number;
  closed: boolean;
}

/**
 * Sends `head` (request line and headers) and `body` on a raw socket, then sends nothing more:
 * a slow client. Resolves when the server closes the connection, or after `boundMs` (then
 * `closed` is false), never later.
 */
function slowClient(url: string, head: string, body: string, boundMs: number): Promise<RawExchange> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let response = '';
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
      resolve({ response, status, closed });
    };
    const timer = setTimeout(() => finish(false), boundMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (response += chunk));
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined);
    socket.write(`${head}\r\n\r\n${body}`);
  });
}

/** Body read bound of the fixture app, small so the test is quick. */
const BODY_TIMEOUT_MS = 500;

@Public()
@Controller('upload')
class UploadController {
  @Post()
  upload(@Body() body: Record<string, unknown>) {
    return { keys: Object.keys(body ?? {}).length };
  }
}

@Module({
  imports: [SecurityModule.forRoot({ validation: { bodyTimeoutMs: BODY_TIMEOUT_MS } })],
  controllers: [UploadController],
})
class SlowBodyModule {}

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

describe.each(ADAPTERS)('slow bodies (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let sample: INestApplication;
  let sampleUrl: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, SlowBodyModule));
    ({ app: sample, url: sampleUrl } = await bootApp(adapter, AppModule));
  });
  afterAll(async () => {
    await app.close();
    await sample.close();
  });

  it('a declared length over the limit is refused (413) before reading, and the connection closed', async () => {
    const head = [
      'POST /auth/login HTTP/1.1',
      'Host: localhost',
      'Content-Type: application/json',
      'Content-Length: 2000000',
    ].join('\r\n');
    // The bound is the sample's body timeout (30 s default): the refusal must come well before it.
    const seen = await slowClient(sampleUrl, head, '{"', 25_000);
    expect(seen.status).toBe(413);
    expect(seen.closed).toBe(true);
    expect(seen.response).toMatch(/"code":"PAYLOAD_TOO_LARGE"/);
    expect(seen.response.toLowerCase()).toMatch(/content-security-policy/);
  });

  it('a body that does not arrive in bodyTimeoutMs gets 408 and the connection is closed', async () => {
    const head = [
      'POST /upload HTTP/1.1',
      'Host: localhost',
      'Content-Type: application/json',
      'Content-Length: 100',
    ].join('\r\n');
    // Generous: 20 times the configured timeout, and far below Node's 300 s.
    const seen = await slowClient(url, head, '{"', BODY_TIMEOUT_MS * 20);
    expect(seen.status).toBe(408);
    expect(seen.closed).toBe(true);
    expect(seen.response).toMatch(/"code":"REQUEST_TIMEOUT"/);
    expect(seen.response).toMatch(/x-request-id/i);
  });

  it('a chunked body that never ends gets 408 as well', async () => {
    const head = [
      'POST /upload HTTP/1.1',
      'Host: localhost',
      'Content-Type: application/json',
      'Transfer-Encoding: chunked',
    ].join('\r\n');
    const seen = await slowClient(url, head, '2\r\n{"\r\n', BODY_TIMEOUT_MS * 20);
    expect(seen.status).toBe(408);
    expect(seen.closed).toBe(true);
  });

  it('a body that arrives in time is served', async () => {
    const res = await fetch(`${url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1, b: 2 }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ keys: 2 });
  });
});
