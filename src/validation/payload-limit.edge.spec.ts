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
});
