import { getSecurityState } from '../core/context/request-state';
import { SecurityErrorCode } from '../core/errors/error-codes';
import type { SecurityEvents } from '../core/events/security-events.service';
import { SecurityEventType } from '../core/events/security-event.interface';
import type { ResolvedCorsOptions } from './cors.options';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import { isOriginAllowed } from './cors-origin.util';

const FORBIDDEN_BODY = JSON.stringify({
  statusCode: 403,
  error: 'Forbidden',
  message: 'Cross-origin request not allowed',
  code: SecurityErrorCode.CORS_ORIGIN_DENIED,
});

type Refusal = 'origin_not_allowed' | 'method_not_allowed' | 'header_not_allowed';

/**
 * Edge step that applies the compiled CORS policy. It never reflects anything it has not
 * checked: allowed origins get `Access-Control-Allow-Origin` (their own value), preflights are
 * answered here with 204, a preflight that fails any check gets 403 without CORS headers, and a
 * simple request from a disallowed origin goes on without CORS headers (the browser then hides
 * the response). `Vary: Origin` is added to every response so caches never mix origins.
 *
 * @internal
 */
export class CorsEdge implements EdgeHandler {
  constructor(
    private readonly policy: ResolvedCorsOptions,
    private readonly events: SecurityEvents,
  ) {}

  handle(req: EdgeRequest, res: EdgeResponse): boolean {
    appendVary(res, 'Origin');
    const origin = req.headers.origin;
    if (typeof origin !== 'string') return false;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!isOriginAllowed(this.policy, origin)) {
      this.refuse(req, origin, preflight, 'origin_not_allowed');
      return preflight ? this.forbid(req, res) : false;
    }
    if (preflight) return this.preflight(req, res, origin);
    res.setHeader('access-control-allow-origin', this.policy.anyOrigin ? '*' : origin);
    if (this.policy.credentials) res.setHeader('access-control-allow-credentials', 'true');
    if (this.policy.headers.exposeHeaders) {
      res.setHeader('access-control-expose-headers', this.policy.headers.exposeHeaders);
    }
    return false;
  }

  private preflight(req: EdgeRequest, res: EdgeResponse, origin: string): boolean {
    const method = String(req.headers['access-control-request-method']).toUpperCase();
    if (!this.policy.methodSet.has(method)) {
      this.refuse(req, origin, true, 'method_not_allowed', { method });
      return this.forbid(req, res);
    }
    const requested = req.headers['access-control-request-headers'];
    if (typeof requested === 'string' && requested.length > 0) {
      for (const name of requested.split(',')) {
        const h = name.trim().toLowerCase();
        if (h && !this.policy.allowedHeaderSet.has(h)) {
          this.refuse(req, origin, true, 'header_not_allowed', { header: h.slice(0, 64) });
          return this.forbid(req, res);
        }
      }
    }
    appendVary(res, 'Access-Control-Request-Method, Access-Control-Request-Headers');
    res.setHeader('access-control-allow-origin', this.policy.anyOrigin ? '*' : origin);
    if (this.policy.credentials) res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-allow-methods', this.policy.headers.allowMethods);
    if (this.policy.headers.allowHeaders) {
      res.setHeader('access-control-allow-headers', this.policy.headers.allowHeaders);
    }
    res.setHeader('access-control-max-age', this.policy.headers.maxAge);
    res.setHeader('content-length', '0');
    res.statusCode = 204;
    res.end();
    return true;
  }

  private forbid(req: EdgeRequest, res: EdgeResponse): boolean {
    this.events.metrics.edgeRefusal(SecurityErrorCode.CORS_ORIGIN_DENIED, 403, res);
    const id = getSecurityState(req).requestId;
    const body = id ? `${FORBIDDEN_BODY.slice(0, -1)},"requestId":${JSON.stringify(id)}}` : FORBIDDEN_BODY;
    res.statusCode = 403;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', String(Buffer.byteLength(body)));
    res.end(body);
    return true;
  }

  private refuse(
    req: EdgeRequest,
    origin: string,
    preflight: boolean,
    reason: Refusal,
    extra?: Record<string, unknown>,
  ): void {
    this.events.emit({
      type: SecurityEventType.CORS_REJECTED,
      outcome: 'blocked',
      reason,
      request: req,
      // The origin is attacker-controlled: keep it short in the log.
      details: { origin: origin.slice(0, 200), preflight, ...extra },
    });
  }
}

/** Adds `value` to `Vary`, keeping what is already there. */
function appendVary(res: EdgeResponse, value: string): void {
  const existing = res.getHeader('vary');
  if (existing === undefined) res.setHeader('vary', value);
  else if (typeof existing === 'string' && existing !== value && !existing.includes(value)) {
    res.setHeader('vary', `${existing}, ${value}`);
  }
}
