import { SecurityErrorCode } from '../errors/error-codes';
import type { SecurityEvents } from '../events/security-events.service';
import { SecurityEventType } from '../events/security-event.interface';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from './edge-handler.interface';
import { writeEdgeError, type EdgeRefusal } from './edge-error.util';

const MALFORMED_URL: EdgeRefusal = {
  status: 400,
  error: 'Bad Request',
  code: SecurityErrorCode.BAD_REQUEST,
  message: 'Malformed request URL',
};

/**
 * The last edge step: refuses a request whose path does not percent-decode (`/documents/%ff`).
 * Express would fail later, when it decodes a route parameter, and Fastify's router refuses it
 * before any hook with a body of its own; answering here gives both adapters the same 400, with
 * the headers of the steps before it and without echoing the path.
 *
 * @internal
 */
export class RequestTargetEdge implements EdgeHandler {
  constructor(
    private readonly problemJson: boolean,
    private readonly events: SecurityEvents,
  ) {}

  handle(req: EdgeRequest, res: EdgeResponse): boolean {
    if (isDecodable(req.url)) return false;
    this.events.emit({
      type: SecurityEventType.VALIDATION_FAILED,
      outcome: 'blocked',
      reason: 'malformed_url',
      request: req,
    });
    return writeEdgeError(req, res, MALFORMED_URL, this.problemJson, this.events.metrics);
  }
}

/** Whether the path of `url` percent-decodes (the query string is the parsers' business). @internal */
export function isDecodable(url: string | undefined): boolean {
  if (url === undefined || url.indexOf('%') === -1) return true;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path.indexOf('%') === -1) return true;
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}
