import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import type { SecurityEvents } from '../core/events/security-events.service';
import { SecurityEventType } from '../core/events/security-event.interface';
import type { ValidationFeatureOptions } from './validation.options';
import type { ContentTypeRule } from './validation.options';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from '../core/pipeline/edge-handler.interface';
import { writeEdgeError, type EdgeRefusal } from '../core/pipeline/edge-error.util';

interface Refusal extends EdgeRefusal {
  reason: string;
}

const TOO_LARGE: Refusal = {
  status: 413,
  error: 'Payload Too Large',
  code: SecurityErrorCode.PAYLOAD_TOO_LARGE,
  message: 'Request body is too large',
  reason: 'payload_too_large',
};
const BAD_MEDIA_TYPE: Refusal = {
  status: 415,
  error: 'Unsupported Media Type',
  code: SecurityErrorCode.UNSUPPORTED_MEDIA_TYPE,
  message: 'Unsupported Content-Type',
  reason: 'unsupported_media_type',
};
const BAD_LENGTH: Refusal = {
  status: 400,
  error: 'Bad Request',
  code: SecurityErrorCode.BAD_REQUEST,
  message: 'Invalid Content-Length',
  reason: 'invalid_content_length',
};
const NUL_IN_URL: Refusal = {
  status: 400,
  error: 'Bad Request',
  code: SecurityErrorCode.VALIDATION_FAILED,
  message: 'Validation failed',
  reason: 'null_byte',
};

const BODY_TIMEOUT: Refusal = {
  status: 408,
  error: 'Request Timeout',
  code: SecurityErrorCode.REQUEST_TIMEOUT,
  message: Messages.BODY_TIMEOUT(),
  reason: 'body_timeout',
};

const PROTO_IN_QUERY: Refusal = { ...NUL_IN_URL, reason: 'forbidden_key' };
const QUERY_TOO_LONG: Refusal = {
  status: 414,
  error: 'URI Too Long',
  code: SecurityErrorCode.QUERY_TOO_LONG,
  message: 'Query string is too long',
  reason: 'query_too_long',
};
const TOO_MANY_PARAMETERS: Refusal = {
  status: 400,
  error: 'Bad Request',
  code: SecurityErrorCode.TOO_MANY_QUERY_PARAMETERS,
  message: 'Too many query parameters',
  reason: 'too_many_query_parameters',
};

/** Non-empty `&`-separated parts of the query string from `start` (`a=1&&b` is 2), stopping past `max`. */
function countParameters(url: string, start: number, max: number): number {
  let count = 0;
  let empty = true;
  for (let i = start; i < url.length; i++) {
    if (url.charCodeAt(i) === 38 /* & */) {
      if (!empty && ++count > max) return count;
      empty = true;
    } else empty = false;
  }
  return empty ? count : count + 1;
}

/**
 * JSON is UTF-8 (RFC 8259): a JSON body announcing another charset is refused on both adapters
 * (Express's parser refused it with a message of its own, Fastify parsed it as UTF-8 anyway).
 */
function isUtf8Json(header: string): boolean {
  const semi = header.indexOf(';');
  if (semi === -1) return true;
  const media = header.slice(0, semi).trim().toLowerCase();
  if (media !== 'application/json' && !media.endsWith('+json')) return true;
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(header);
  return charset === null || /^utf-?8$/i.test(charset[1]);
}

/**
 * The last feature edge step: refuses, before any body is used, a body larger than
 * `validation.maxPayloadBytes` (413, from `Content-Length`), a body with a missing or unlisted
 * `Content-Type` or a JSON body in a charset other than UTF-8 (415), a URL carrying an encoded NUL
 * byte or a `__proto__` query key (400), a query string longer than `validation.maxQueryLength`
 * (414) or with more parameters than `validation.maxQueryParameters` (400). It runs before routing
 * (unknown paths are covered) and answers the same way on Express and Fastify, with the error body
 * shape of the exception filter.
 *
 * A body it lets through must arrive within `validation.bodyTimeoutMs` (else 408 and the
 * connection is closed). Bodies without `Content-Length` (chunked) are bounded by the adapter's own parser limit:
 * Fastify's `bodyLimit` (1 MiB by default) and Express's body-parser `limit` (100 kB by default;
 * raise it with `app.useBodyParser('json', { limit })`).
 *
 * @internal
 */
export class PayloadLimitEdge implements EdgeHandler {
  private readonly maxBytes: number;
  private readonly bodyTimeoutMs: number;
  private readonly rules: readonly ContentTypeRule[];
  private readonly problemJson: boolean;
  private readonly maxQueryLength: number | false;
  private readonly maxQueryParameters: number | false;

  constructor(
    options: ValidationFeatureOptions,
    private readonly events: SecurityEvents,
  ) {
    this.maxBytes = options.validation.maxPayloadBytes;
    this.bodyTimeoutMs = options.validation.bodyTimeoutMs;
    this.rules = options.validation.allowedContentTypes;
    this.problemJson = options.errors.format === 'problem+json';
    this.maxQueryLength = options.validation.maxQueryLength;
    this.maxQueryParameters = options.validation.maxQueryParameters;
  }

  handle(req: EdgeRequest, res: EdgeResponse): boolean {
    const url = req.url;
    if (url !== undefined) {
      if (url.indexOf('%00') !== -1) return this.refuse(req, res, NUL_IN_URL);
      // Express keeps a `__proto__` query key (refused later by the pipe), Fastify drops it
      // silently: refuse it here so both adapters answer the same.
      const query = url.indexOf('?');
      if (query !== -1) {
        if (this.maxQueryLength !== false && url.length - query - 1 > this.maxQueryLength) {
          return this.refuse(req, res, QUERY_TOO_LONG, { queryLength: url.length - query - 1 });
        }
        if (this.maxQueryParameters !== false) {
          const count = countParameters(url, query + 1, this.maxQueryParameters);
          if (count > this.maxQueryParameters) return this.refuse(req, res, TOO_MANY_PARAMETERS, { parameters: count });
        }
        if (url.indexOf('__proto__', query) !== -1) return this.refuse(req, res, PROTO_IN_QUERY);
      }
    }
    const headers = req.headers;
    const length = headers['content-length'];
    if (length === undefined) {
      if (headers['transfer-encoding'] === undefined) return false;
    } else {
      const bytes = typeof length === 'string' && /^\d{1,15}$/.test(length) ? Number(length) : NaN;
      if (Number.isNaN(bytes)) return this.refuse(req, res, BAD_LENGTH);
      if (bytes > this.maxBytes) return this.refuse(req, res, TOO_LARGE);
      if (bytes === 0) return false;
    }
    const type = headers['content-type'];
    if (typeof type !== 'string' || !this.isAllowed(type) || !isUtf8Json(type)) {
      return this.refuse(req, res, BAD_MEDIA_TYPE);
    }
    this.boundBodyTime(req, res);
    return false;
  }

  /**
   * Gives the body `bodyTimeoutMs` to arrive. The timer is dropped as soon as the body has been
   * read or the request is gone; when it fires first, the client gets a 408 (if nothing has been
   * answered yet) and its connection is closed either way: a slow body must not pin a socket.
   */
  private boundBodyTime(req: EdgeRequest, res: EdgeResponse): void {
    if (req.complete === true || typeof req.once !== 'function') return;
    const timer = setTimeout(() => this.bodyTimedOut(req, res), this.bodyTimeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
  }

  private bodyTimedOut(req: EdgeRequest, res: EdgeResponse): void {
    if (req.complete === true) return;
    this.events.emit({
      type: SecurityEventType.VALIDATION_FAILED,
      outcome: 'blocked',
      reason: 'body_timeout',
      request: req,
      details: { bodyTimeoutMs: this.bodyTimeoutMs },
    });
    if (res.headersSent !== true) {
      writeEdgeError(req, res, BODY_TIMEOUT, this.problemJson, this.events.metrics);
      // `Connection: close` ends the response; the unread body must not keep the socket open.
      setImmediate(() => req.socket?.destroy?.());
    } else {
      req.socket?.destroy?.();
    }
  }

  private isAllowed(header: string): boolean {
    const semi = header.indexOf(';');
    const media = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
    const slash = media.indexOf('/');
    if (slash <= 0) return false;
    for (const rule of this.rules) {
      if (rule.suffix === undefined) {
        if (media === rule.type) return true;
      } else if (media.slice(0, slash) === rule.type && media.endsWith(rule.suffix) && media.length > slash + 1) {
        return true;
      }
    }
    return false;
  }

  private refuse(req: EdgeRequest, res: EdgeResponse, refusal: Refusal, query?: Record<string, number>): true {
    this.events.emit({
      type: SecurityEventType.VALIDATION_FAILED,
      outcome: 'blocked',
      reason: refusal.reason,
      request: req,
      details: query
        ? { ...query, maxQueryLength: this.maxQueryLength, maxQueryParameters: this.maxQueryParameters }
        : {
            contentLength: req.headers['content-length'],
            contentType: req.headers['content-type'],
            maxPayloadBytes: this.maxBytes,
          },
    });
    return writeEdgeError(req, res, refusal, this.problemJson, this.events.metrics);
  }
}
