import { getSecurityState } from '../context/request-state';
import type { SecurityErrorCode } from '../errors/error-codes';
import type { SecurityMetrics } from '../metrics/security-metrics.service';
import type { EdgeRequest, EdgeResponse } from './edge-handler.interface';

/** A refusal answered by an edge step, before any route, body parser or filter runs. @internal */
export interface EdgeRefusal {
  status: number;
  error: string;
  code: SecurityErrorCode;
  message: string;
}

/**
 * Answers `refusal` on the raw response with the exception filter's body shape (Nest's shape plus
 * `code` and `requestId`, or RFC 9457 problem+json), and counts it in `rampart.requests.refused`
 * (the exception filter counts the others). When the request announced a body, the connection is
 * closed: that body stays unread, and must not be parsed or waited for.
 *
 * @internal
 */
export function writeEdgeError(
  req: EdgeRequest,
  res: EdgeResponse,
  refusal: EdgeRefusal,
  problemJson: boolean,
  metrics: SecurityMetrics,
  extraHeaders?: Record<string, string | number>,
  extraBody?: Record<string, unknown>,
): true {
  metrics.edgeRefusal(refusal.code, refusal.status, res);
  const requestId = getSecurityState(req).requestId;
  const body = problemJson
    ? {
        type: `urn:nestjs-rampart:error:${refusal.code.toLowerCase().replace(/_/g, '-')}`,
        title: refusal.error,
        status: refusal.status,
        detail: refusal.message,
        instance: pathOf(req.url),
        code: refusal.code,
        ...(requestId ? { requestId } : {}),
        ...extraBody,
      }
    : {
        statusCode: refusal.status,
        error: refusal.error,
        message: refusal.message,
        code: refusal.code,
        ...extraBody,
        ...(requestId ? { requestId } : {}),
      };
  res.statusCode = refusal.status;
  res.setHeader('Content-Type', problemJson ? 'application/problem+json' : 'application/json; charset=utf-8');
  if (extraHeaders) for (const name of Object.keys(extraHeaders)) res.setHeader(name, extraHeaders[name]);
  if (hasBody(req)) res.setHeader('Connection', 'close');
  res.end(JSON.stringify(body));
  return true;
}

/** The path of a request target, without its query string (which may carry tokens). */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Whether the request announced a body (a non-zero `Content-Length`, or chunked). @internal */
export function hasBody(req: EdgeRequest): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}
