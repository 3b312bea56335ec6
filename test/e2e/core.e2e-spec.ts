import type { ServerResponse } from 'node:http';
import { Controller, Get, InternalServerErrorException, Module, Res } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Public, SecurityModule, securityException, type SecurityEvent } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

const events: SecurityEvent[] = [];

@Public()
@Controller('core')
class CoreController {
  @Get('ok')
  ok() {
    return { ok: true };
  }

  @Get('boom')
  boom(): never {
    throw new Error('connect ECONNREFUSED postgres://admin:hunter2@db:5432 at Object.<anonymous> (/app/src/x.ts:1:1)');
  }

  @Get('leaky-http-exception')
  leaky(): never {
    // A string `code` does not make an exception ours: its 5xx message must not reach the client.
    throw new InternalServerErrorException({
      code: 'DB_DOWN',
      error: 'pg: auth failed',
      message: 'password=hunter2 rejected by db:5432',
      errors: ['hunter2'],
    });
  }

  @Get('unavailable')
  unavailable(): never {
    throw securityException(503, 'STORAGE_UNAVAILABLE', 'Service temporarily unavailable, please retry');
  }

  @Get('late-failure')
  late(@Res() res: ServerResponse | { raw: ServerResponse }): never {
    const raw = 'raw' in res ? res.raw : res;
    raw.writeHead(200, { 'content-type': 'text/plain' });
    raw.write('partial');
    throw new Error('failed after the response started');
  }
}

@Public()
@Controller()
class RootController {
  @Get()
  root() {
    return { root: true };
  }
}

@Module({
  imports: [SecurityModule.forRoot({ events: { logger: false, sinks: [(e) => events.push(e)] } })],
  controllers: [RootController, CoreController],
})
class CoreAppModule {}

/** Fetches `target` with a request id and checks the generic 500 body; returns the raw text. */
async function genericServerError(target: string, requestId: string): Promise<string> {
  const res = await fetch(target, { headers: { 'X-Request-ID': requestId } });
  expect(res.status).toBe(500);
  const text = await res.text();
  expect(JSON.parse(text)).toEqual({
    statusCode: 500,
    error: 'Internal Server Error',
    message: 'Internal server error',
    code: 'INTERNAL_ERROR',
    requestId,
  });
  return text;
}

describe.each(ADAPTERS)('core pipeline (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, CoreAppModule));
  });
  afterAll(() => app.close());

  it('generates a request id and echoes it', async () => {
    const res = await fetch(`${url}/core/ok`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('runs the edge steps on the root route too', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ root: true });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await fetch(`${url}/`, { headers: { 'X-Request-ID': 'root-1' } });
    expect(kept.headers.get('x-request-id')).toBe('root-1');
  });

  it('keeps a well-formed incoming request id and replaces a malformed one', async () => {
    const kept = await fetch(`${url}/core/ok`, { headers: { 'X-Request-ID': 'req-123.abc' } });
    expect(kept.headers.get('x-request-id')).toBe('req-123.abc');
    const replaced = await fetch(`${url}/core/ok`, { headers: { 'X-Request-ID': 'bad id\twith "quotes"' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('turns an unhandled error into a generic 500 with the request id and no stack', async () => {
    const text = await genericServerError(`${url}/core/boom`, 'boom-1');
    expect(text).not.toMatch(/hunter2|ECONNREFUSED|x\.ts|at Object/);
    expect(events.some((e) => e.type === 'INTERNAL_ERROR' && e.requestId === 'boom-1')).toBe(true);
  });

  it('gives unknown routes the same error shape', async () => {
    const res = await fetch(`${url}/nope`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND' });
    expect(body.requestId).toEqual(res.headers.get('x-request-id'));
  });

  it('never passes on the message of a 5xx HttpException it did not create, even with a string code', async () => {
    const text = await genericServerError(`${url}/core/leaky-http-exception`, 'leak-1');
    expect(text).not.toMatch(/hunter2|DB_DOWN|pg:/);
  });

  it('keeps the message and code of its own 5xx exceptions', async () => {
    const res = await fetch(`${url}/core/unavailable`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      statusCode: 503,
      message: 'Service temporarily unavailable, please retry',
      code: 'STORAGE_UNAVAILABLE',
    });
  });

  it('ends a response that had already started instead of writing a second one', async () => {
    const res = await fetch(`${url}/core/late-failure`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('partial');
    const next = await fetch(`${url}/core/ok`);
    expect(next.status).toBe(200);
  });
});
