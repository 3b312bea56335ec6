import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { SecurityEventInput } from '../core/events/security-event.interface';
import type { SecurityEvents } from '../core/events/security-events.service';
import { resolveCorsOptions, type CorsOptions } from './cors.options';
import { CorsEdge } from './cors.edge';

function edge(options: CorsOptions) {
  const emitted: SecurityEventInput[] = [];
  const refused: Array<[string, number]> = [];
  const events = {
    emit: (e: SecurityEventInput) => emitted.push(e),
    metrics: { edgeRefusal: (code: string, status: number) => refused.push([code, status]) },
  } as unknown as SecurityEvents;
  return {
    edge: new CorsEdge(resolveCorsOptions(options, { profile: 'production', isTrustedProxy: () => false }), events),
    emitted,
    refused,
  };
}

/** A real Node request/response pair, as the edge gets from both adapters. */
function exchange(method: string, headers: Record<string, string>) {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.url = '/x';
  req.headers = headers;
  const res = new ServerResponse(req);
  return { req, res };
}

describe('CorsEdge', () => {
  const policy: CorsOptions = { origins: ['https://app.example.com'], credentials: true, maxAge: 60 };

  it('adds Vary: Origin to an existing Vary without duplicating it', () => {
    const { edge: e } = edge(policy);
    const { req, res } = exchange('GET', {});
    res.setHeader('vary', 'Accept-Encoding');
    expect(e.handle(req, res)).toBe(false);
    expect(res.getHeader('vary')).toBe('Accept-Encoding, Origin');
    e.handle(req, res);
    expect(res.getHeader('vary')).toBe('Accept-Encoding, Origin');
  });

  it('answers an allowed preflight itself and stops the pipeline', () => {
    const { edge: e } = edge(policy);
    const { req, res } = exchange('OPTIONS', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'patch',
      'access-control-request-headers': 'Authorization, content-type',
    });
    expect(e.handle(req, res)).toBe(true);
    expect(res.statusCode).toBe(204);
    expect(res.getHeader('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.getHeader('access-control-max-age')).toBe('60');
    expect(res.getHeader('vary')).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  });

  it('lets a plain OPTIONS request (no Access-Control-Request-Method) reach the routes', () => {
    const { edge: e } = edge(policy);
    const { req, res } = exchange('OPTIONS', { origin: 'https://app.example.com' });
    expect(e.handle(req, res)).toBe(false);
    expect(res.getHeader('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('refuses a disallowed preflight with 403 and reports the origin, truncated', () => {
    const { edge: e, emitted, refused } = edge(policy);
    const origin = `https://${'a'.repeat(300)}.evil.com`;
    const { req, res } = exchange('OPTIONS', { origin, 'access-control-request-method': 'GET' });
    expect(e.handle(req, res)).toBe(true);
    expect(res.statusCode).toBe(403);
    expect(res.getHeader('access-control-allow-origin')).toBeUndefined();
    expect(emitted[0]).toMatchObject({ type: 'CORS_REJECTED', reason: 'origin_not_allowed' });
    expect((emitted[0].details?.origin as string).length).toBe(200);
    expect(refused).toEqual([['CORS_ORIGIN_DENIED', 403]]);
  });

  it('sends "*" and no credentials for a public policy', () => {
    const { edge: e } = edge({ origins: ['*'] });
    const { req, res } = exchange('GET', { origin: 'https://anyone.test' });
    e.handle(req, res);
    expect(res.getHeader('access-control-allow-origin')).toBe('*');
    expect(res.getHeader('access-control-allow-credentials')).toBeUndefined();
  });
});
