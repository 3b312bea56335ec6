import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { SecurityEventInput } from '../core/events/security-event.interface';
import type { SecurityEvents } from '../core/events/security-events.service';
import { resolveHeadersOptions, type HeadersOptions } from './headers.options';
import { HttpsEnforcementEdge } from './https-enforcement.edge';
import { SecurityHeadersEdge } from './security-headers.edge';

const ctx = { profile: 'production' as const, isTrustedProxy: () => false };

function exchange(headers: Record<string, string>, remoteAddress = '127.0.0.1', url = '/x') {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = url;
  req.headers = headers;
  return { req, res: new ServerResponse(req) };
}

describe('SecurityHeadersEdge', () => {
  it('writes the precomputed headers and removes disclosing ones', () => {
    const e = new SecurityHeadersEdge(resolveHeadersOptions({ custom: { 'X-Api': '1' } }, ctx));
    const { req, res } = exchange({});
    res.setHeader('X-Powered-By', 'Express');
    res.setHeader('Server', 'nginx');
    expect(e.handle(req, res)).toBe(false);
    expect(res.getHeader('x-powered-by')).toBeUndefined();
    expect(res.getHeader('server')).toBeUndefined();
    expect(res.getHeader('x-frame-options')).toBe('DENY');
    expect(res.getHeader('x-api')).toBe('1');
  });
});

describe('HttpsEnforcementEdge', () => {
  function make(https: HeadersOptions['https'], trustProxy: string[]) {
    const emitted: SecurityEventInput[] = [];
    const refused: Array<[string, number]> = [];
    const events = {
      emit: (e: SecurityEventInput) => emitted.push(e),
      metrics: { edgeRefusal: (code: string, status: number) => refused.push([code, status]) },
    } as unknown as SecurityEvents;
    const edge = new HttpsEnforcementEdge(resolveHeadersOptions({ https }, ctx).https, trustProxy, events);
    return { edge, emitted, refused };
  }

  it.each([
    ['trusted proxy says https', ['loopback'], '127.0.0.1', 'https', false],
    ['trusted proxy says "https, http" (first hop wins)', ['loopback'], '127.0.0.1', 'https, http', false],
    ['trusted proxy says http', ['loopback'], '127.0.0.1', 'http', true],
    ['untrusted peer claims https', ['10.0.0.0/8'], '203.0.113.5', 'https', true],
  ])('%s → refused: %s', (_n, trust, peer, proto, refused) => {
    const { edge } = make({ mode: 'reject' }, trust);
    const { req, res } = exchange({ 'x-forwarded-proto': proto }, peer);
    expect(edge.handle(req, res)).toBe(refused);
    if (refused) expect(res.statusCode).toBe(403);
  });

  it('refuses instead of redirecting to a malformed Host', () => {
    const { edge, emitted, refused } = make({ mode: 'redirect' }, ['loopback']);
    const { req, res } = exchange({ 'x-forwarded-proto': 'http', host: 'evil.com/@x' });
    expect(edge.handle(req, res)).toBe(true);
    expect(res.statusCode).toBe(403);
    expect(emitted[0]).toMatchObject({ type: 'HTTPS_REQUIRED', reason: 'plain_http_refused' });
    expect(refused).toEqual([['HTTPS_REQUIRED', 403]]);
  });

  it('redirects to the same host and URL', () => {
    const { edge, refused } = make({ mode: 'redirect' }, ['loopback']);
    const { req, res } = exchange({ 'x-forwarded-proto': 'http', host: 'api.example.com' }, '127.0.0.1', '/a?b=1');
    expect(edge.handle(req, res)).toBe(true);
    expect(res.statusCode).toBe(308);
    expect(refused).toEqual([['HTTPS_REQUIRED', 308]]);
    expect(res.getHeader('location')).toBe('https://api.example.com/a?b=1');
    expect(res.getHeader('cache-control')).toBe('no-store');
  });
});
