import { compileIpMatcher, normalizeIp } from '../core/context/client-ip';
import { SecurityErrorCode } from '../core/errors/error-codes';
import type { SecurityEvents } from '../core/events/security-events.service';
import { SecurityEventType } from '../core/events/security-event.interface';
import { getSecurityState } from '../core/context/request-state';
import type { ResolvedHeadersOptions } from './headers.options';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';

/** A syntactically valid `host[:port]` (no userinfo, path or spaces) for the redirect target. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Edge step that refuses (403 `HTTPS_REQUIRED`) or redirects (308) plain-HTTP requests. A request
 * is HTTPS when its socket is TLS, or when the socket peer is a trusted proxy (`trustProxy`) whose
 * `X-Forwarded-Proto` says `https`. A forged `X-Forwarded-Proto` from anyone else is ignored.
 *
 * @internal
 */
export class HttpsEnforcementEdge implements EdgeHandler {
  private readonly isTrusted: (ip: string) => boolean;
  private readonly body: string;

  constructor(
    private readonly https: ResolvedHeadersOptions['https'],
    trustProxy: readonly string[],
    private readonly events: SecurityEvents,
  ) {
    this.isTrusted = compileIpMatcher(trustProxy, 'trustProxy');
    this.body = JSON.stringify({
      statusCode: 403,
      error: 'Forbidden',
      message: 'HTTPS is required',
      code: SecurityErrorCode.HTTPS_REQUIRED,
    });
  }

  handle(req: EdgeRequest, res: EdgeResponse): boolean {
    if (this.isHttps(req) || this.isExempt(req.url ?? '/')) return false;
    const state = getSecurityState(req);
    const host = typeof req.headers.host === 'string' ? req.headers.host : undefined;
    const redirect = this.https.mode === 'redirect' && host !== undefined && HOST.test(host);
    this.events.emit({
      type: SecurityEventType.HTTPS_REQUIRED,
      outcome: 'blocked',
      reason: redirect ? 'plain_http_redirected' : 'plain_http_refused',
      request: req,
    });
    // This step runs before the header preset: a refusal or redirect must not be cached or sniffed.
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    this.events.metrics.edgeRefusal(SecurityErrorCode.HTTPS_REQUIRED, redirect ? 308 : 403, res);
    if (redirect) {
      res.statusCode = 308;
      res.setHeader('location', `https://${host}${req.url ?? '/'}`);
      res.setHeader('content-length', '0');
      res.end();
      return true;
    }
    const body = state.requestId
      ? `${this.body.slice(0, -1)},"requestId":${JSON.stringify(state.requestId)}}`
      : this.body;
    res.statusCode = 403;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', String(Buffer.byteLength(body)));
    res.end(body);
    return true;
  }

  private isHttps(req: EdgeRequest): boolean {
    if (req.socket?.encrypted) return true;
    const peer = normalizeIp(req.socket?.remoteAddress ?? '');
    if (!peer || !this.isTrusted(peer)) return false;
    const proto = req.headers['x-forwarded-proto'];
    const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0].trim().toLowerCase();
    return first === 'https';
  }

  /**
   * Whether the URL is under an exempt path, on a segment boundary: `/health` exempts `/health`,
   * `/health/live` and `/health?x`, never `/healthz-admin` (a bare prefix match would let plain
   * http reach any route that merely starts with the same letters).
   */
  private isExempt(url: string): boolean {
    const paths = this.https.exemptPaths;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      if (!url.startsWith(p)) continue;
      const next = url.charAt(p.length);
      if (next === '' || next === '/' || next === '?' || p.endsWith('/')) return true;
    }
    return false;
  }
}
