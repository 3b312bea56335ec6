import { SecurityEvents } from '../core/events/security-events.service';
import { resolveSecurityOptions } from '../security.options';
import type { SecurityModuleOptions } from '../security.options';
import type { EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import { PayloadLimitEdge } from './payload-limit.edge';

function edge(options: SecurityModuleOptions = {}) {
  const resolved = resolveSecurityOptions({ events: { logger: false }, ...options });
  return new PayloadLimitEdge(resolved, new SecurityEvents(resolved));
}

function response() {
  const headers: Record<string, unknown> = {};
  const res: EdgeResponse & { body?: string; headers: Record<string, unknown> } = {
    statusCode: 200,
    headers,
    setHeader: (name, value) => (headers[name.toLowerCase()] = value),
    getHeader: (name) => headers[name.toLowerCase()],
    removeHeader: (name) => delete headers[name.toLowerCase()],
    end(chunk?: string) {
      this.body = chunk;
    },
  };
  return res;
}

const req = (headers: EdgeRequest['headers'], url = '/x'): EdgeRequest => ({ method: 'POST', url, headers });

describe('PayloadLimitEdge', () => {
  it.each([
    ['no body', {}],
    ['an empty body', { 'content-length': '0' }],
    ['JSON', { 'content-length': '10', 'content-type': 'application/json; charset=utf-8' }],
    ['a +json type', { 'content-length': '10', 'content-type': 'application/merge-patch+json' }],
    ['multipart', { 'content-length': '10', 'content-type': 'multipart/form-data; boundary=x' }],
    ['exactly the limit', { 'content-length': '1048576', 'content-type': 'application/json' }],
  ])('lets %s through', (_name, headers) => {
    const res = response();
    expect(edge().handle(req(headers), res)).toBe(false);
    expect(res.body).toBeUndefined();
  });

  it.each([
    [
      'an oversized body',
      { 'content-length': '1048577', 'content-type': 'application/json' },
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    ['a body without Content-Type', { 'content-length': '5' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [
      'a chunked body of another type',
      { 'transfer-encoding': 'chunked', 'content-type': 'text/xml' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['a fake json type', { 'content-length': '5', 'content-type': 'application/jsonx' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [
      'a malformed Content-Length',
      { 'content-length': '12abc', 'content-type': 'application/json' },
      400,
      'BAD_REQUEST',
    ],
  ])('refuses %s', (_name, headers, status, code) => {
    const res = response();
    expect(edge().handle(req(headers), res)).toBe(true);
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body ?? '{}')).toMatchObject({ statusCode: status, code });
    expect(res.headers.connection).toBe('close');
  });

  it('refuses an encoded NUL byte or a __proto__ query key in the URL', () => {
    for (const url of ['/files/a%00.txt', '/x?__proto__[admin]=1']) {
      const res = response();
      expect(edge().handle(req({}, url), res)).toBe(true);
      expect(res.statusCode).toBe(400);
    }
  });

  it('speaks problem+json when errors.format says so', () => {
    const res = response();
    edge({ errors: { format: 'problem+json' }, validation: { maxPayloadBytes: 10 } }).handle(
      req({ 'content-length': '11', 'content-type': 'application/json' }),
      res,
    );
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body ?? '{}')).toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      title: 'Payload Too Large',
    });
  });

  describe('query caps', () => {
    const get = (url: string): EdgeRequest => ({ method: 'GET', url, headers: {} });
    const query = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');

    it.each([
      ['a query of exactly maxQueryLength', `/x?${'a'.repeat(2047)}`, {}],
      ['exactly maxQueryParameters', `/x?${query(100)}`, {}],
      ['empty parts, which are not parameters', `/x?a=1&&&&b=2&`, { maxQueryParameters: 2 }],
      ['any length when the cap is off', `/x?${'a'.repeat(50_000)}`, { maxQueryLength: false as const }],
      [
        'any count when the cap is off',
        `/x?${query(5000)}`,
        { maxQueryParameters: false as const, maxQueryLength: false as const },
      ],
      ['a long path without a query', `/${'a'.repeat(5000)}`, {}],
    ])('lets %s through', (_name, url, validation) => {
      const res = response();
      expect(edge({ validation }).handle(get(url), res)).toBe(false);
    });

    it.each([
      ['a query over 2048 characters', `/x?${'a'.repeat(2049)}`, {}, 414, 'QUERY_TOO_LONG', 'URI Too Long'],
      [
        'a query over a lower cap',
        `/x?q=${'a'.repeat(499)}`,
        { maxQueryLength: 500 },
        414,
        'QUERY_TOO_LONG',
        'URI Too Long',
      ],
      ['101 parameters', `/x?${query(101)}`, {}, 400, 'TOO_MANY_QUERY_PARAMETERS', 'Bad Request'],
      [
        'repeated names, each counted',
        `/x?a=1&a=2&a=3`,
        { maxQueryParameters: 2 },
        400,
        'TOO_MANY_QUERY_PARAMETERS',
        'Bad Request',
      ],
    ])('refuses %s', (_name, url, validation, status, code, error) => {
      const res = response();
      expect(edge({ validation }).handle(get(url), res)).toBe(true);
      expect(res.statusCode).toBe(status);
      expect(JSON.parse(res.body ?? '{}')).toEqual({ statusCode: status, error, code, message: expect.any(String) });
    });

    it('never echoes the query string in a problem+json instance', () => {
      const res = response();
      edge({ errors: { format: 'problem+json' } }).handle(get(`/x?token=${'s'.repeat(3000)}`), res);
      expect(JSON.parse(res.body ?? '{}')).toMatchObject({ status: 414, code: 'QUERY_TOO_LONG', instance: '/x' });
    });
  });
});
