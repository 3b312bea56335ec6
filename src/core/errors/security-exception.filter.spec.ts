import type { ArgumentsHost } from '@nestjs/common';
import { HttpException, InternalServerErrorException, Logger, NotFoundException } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { getSecurityState } from '../context/request-state';
import type { HttpRequestLike } from '../context/get-request';
import { SecurityEvents } from '../events/security-events.service';
import { resolveCoreOptions, type CoreOptions } from '../options/core.options';
import { securityException } from './security-exception';
import { SecurityExceptionFilter } from './security-exception.filter';

/** A response as the filter sees it through the adapter: headers, a status, a body, and whether it started. */
class FakeResponse {
  headers: Record<string, string> = {};
  status?: number;
  body?: unknown;
  ended = false;
  constructor(public headersSent = false) {}
  setHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
}

/** The slice of Nest's HttpAdapter the filter uses, recording what it did. */
const adapter = {
  isHeadersSent: (res: FakeResponse) => res.headersSent,
  setHeader: (res: FakeResponse, name: string, value: string) => res.setHeader(name, value),
  reply: (res: FakeResponse, body: unknown, status: number) => {
    if (res.headersSent) throw new Error('Cannot set headers after they are sent to the client');
    Object.assign(res, { body, status, headersSent: true });
  },
  end: (res: FakeResponse) => void (res.ended = true),
};

function setup(options: CoreOptions = {}) {
  const resolved = resolveCoreOptions({ ...options, events: { logger: false } });
  const filter = new SecurityExceptionFilter(
    { httpAdapter: adapter } as unknown as HttpAdapterHost,
    resolved,
    new SecurityEvents(resolved),
  );
  const run = (exception: unknown, req: HttpRequestLike, res: FakeResponse) => {
    const host = {
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
    } as unknown as ArgumentsHost;
    filter.catch(exception, host);
    return res;
  };
  return { run };
}

const request = (url = '/things/1'): HttpRequestLike => ({ method: 'GET', url, headers: {} });

describe('SecurityExceptionFilter', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['a 500 with a string code', new InternalServerErrorException({ code: 'DB', message: 'password=hunter2' })],
    ['a 502 with a description', new HttpException({ code: 'UPSTREAM', message: 'http://user:pw@10.0.0.7' }, 502)],
    ['a 503 with a plain message', new HttpException('redis at 10.0.0.9:6379 refused AUTH', 503)],
  ])('answers %s it did not create with a generic body', (_label, exception) => {
    const { run } = setup();
    const res = run(exception, request(), new FakeResponse());
    const status = (exception as HttpException).getStatus();
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status, message: 'Internal server error' });
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|pw@|AUTH|DB|UPSTREAM/);
  });

  it('keeps message and code of a 5xx built by securityException()', () => {
    const { run } = setup();
    const res = run(securityException(503, 'STORAGE_UNAVAILABLE', 'Try again'), request(), new FakeResponse());
    expect(res.body).toMatchObject({ statusCode: 503, message: 'Try again', code: 'STORAGE_UNAVAILABLE' });
  });

  it('keeps the message and code of a 4xx HttpException', () => {
    const { run } = setup();
    const res = run(
      new NotFoundException({ code: 'WIDGET_NOT_FOUND', message: 'No widget' }),
      request(),
      new FakeResponse(),
    );
    expect(res.body).toMatchObject({ statusCode: 404, message: 'No widget', code: 'WIDGET_NOT_FOUND' });
  });

  it('ends a response whose headers were already sent instead of writing it twice', () => {
    const { run } = setup();
    const res = new FakeResponse(true);
    expect(() => run(new Error('late'), request(), res)).not.toThrow();
    expect(res.ended).toBe(true);
    expect(res.body).toBeUndefined();
  });

  it('assigns and echoes a request id when the edge step did not run', () => {
    const { run } = setup({ requestId: { header: 'X-Correlation-ID' } });
    const req = request();
    const res = run(new NotFoundException(), req, new FakeResponse());
    const id = getSecurityState(req).requestId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((res.body as { requestId?: string }).requestId).toBe(id);
    expect(res.headers['x-correlation-id']).toBe(id);
  });

  it('keeps the query string out of the problem+json instance', () => {
    const { run } = setup({ errors: { format: 'problem+json' } });
    const res = run(new NotFoundException(), request('/things/1?token=abc&email=a%40b'), new FakeResponse());
    expect(res.body).toMatchObject({ status: 404, instance: '/things/1' });
    expect(res.headers['content-type']).toBe('application/problem+json');
  });
});
