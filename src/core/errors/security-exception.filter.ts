import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { getSecurityState } from '../context/request-state';
import { takeResponseFilter } from '../context/pending-response-filter.util';
import { requestPath, type HttpRequestLike } from '../context/get-request';
import { setResponseHeader } from '../context/response.util';
import { takeEvent } from '../events/pending-event.util';
import { SecurityEvents } from '../events/security-events.service';
import { SecurityEventType } from '../events/security-event.interface';
import type { ResolvedCoreOptions } from '../options/core.options';
import { SECURITY_OPTIONS } from '../security.constants';
import { defaultCodeForStatus } from './error-codes';
import { frameworkErrorAnswer } from './framework-error.util';
import { Messages } from './messages.constant';
import { isSecurityException, type SecurityErrorBody } from './security-exception';

/** Body keys a client may see besides the standard ones (validation details etc.). */
const SAFE_EXTRAS = new Set(['errors', 'retryAfter', 'limit', 'policy']);

/**
 * Gives every HTTP error one shape: Nest's `{ statusCode, error, message }` plus a stable `code` and
 * the `requestId`, or RFC 9457 `application/problem+json` (whose `instance` is the path, without
 * the query string). Errors that are not HttpExceptions become a generic 500, and a 5xx
 * HttpException keeps its message only when it was built by `securityException()`: no stack trace,
 * library message or secret reaches the client, and the log line carries only the error's class
 * name and the request id. Errors the HTTP framework raises before a route runs (body parser,
 * charset, oversize, undecodable parameter, not-found) get a generic message and a stable code
 * (`MALFORMED_BODY`, `NOT_FOUND`...): their own messages quote the body, echo the path or name the
 * framework. A response that has already started is ended, never written twice.
 * GraphQL and RPC errors pass through.
 *
 * @publicApi
 */
@Catch()
export class SecurityExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SecurityExceptionFilter');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SECURITY_OPTIONS) private readonly options: ResolvedCoreOptions,
    private readonly events: SecurityEvents,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): unknown {
    const pending = takeEvent(exception);
    if (host.getType() !== 'http') {
      if (pending) this.events.emit({ ...pending, request: graphqlRequest(host) });
      return exception instanceof Error ? exception : new Error('Unknown error');
    }
    const http = host.switchToHttp();
    const req = http.getRequest<HttpRequestLike>();
    // An error body is not the handler's result: the route's response filter never applies to it.
    takeResponseFilter(req);
    // An event a pipe attached to its error (pipes never see the request): emitted with its context.
    if (pending) this.events.emit({ ...pending, request: req });
    const res = http.getResponse<unknown>();
    const adapter = this.adapterHost.httpAdapter;
    const started = adapter.isHeadersSent(res);
    const requestId = this.requestId(req, res, started);
    const body = this.toBody(exception, req, requestId);
    this.events.metrics.refusal(String(body.code), body.statusCode, req);
    if (started) {
      // The status line and headers are gone: a second response would throw. End the one started.
      adapter.end(res);
      return undefined;
    }
    if (this.options.errors.format === 'problem+json') {
      adapter.setHeader(res, 'Content-Type', 'application/problem+json');
      adapter.reply(res, this.toProblem(body, req), body.statusCode);
    } else {
      adapter.reply(res, body, body.statusCode);
    }
    return undefined;
  }

  /** Maps any thrown value to the public body. */
  protected toBody(exception: unknown, req: HttpRequestLike, requestId: string | undefined): SecurityErrorBody {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const given = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
      // On a 5xx only our own exceptions speak: anything else may carry a driver message or a secret,
      // whatever its body looks like (a string `code` proves nothing).
      const generic = status >= 500 && !isSecurityException(exception);
      if (generic) {
        this.logUnexpected(exception, req, requestId);
        return this.genericBody(status, requestId);
      }
      const framework = frameworkErrorAnswer(exception, req.method);
      if (framework)
        return { statusCode: status, error: httpReason(status), ...framework, ...(requestId ? { requestId } : {}) };
      const body: SecurityErrorBody = {
        statusCode: status,
        error: typeof given.error === 'string' ? given.error : httpReason(status),
        message: pickMessage(response, exception),
        code: typeof given.code === 'string' ? given.code : defaultCodeForStatus(status),
      };
      for (const key of Object.keys(given)) if (SAFE_EXTRAS.has(key)) body[key] = given[key];
      if (requestId) body.requestId = requestId;
      return body;
    }
    this.logUnexpected(exception, req, requestId);
    return this.genericBody(500, requestId);
  }

  private genericBody(status: number, requestId: string | undefined): SecurityErrorBody {
    const body: SecurityErrorBody = {
      statusCode: status,
      error: httpReason(status),
      message: Messages.INTERNAL_ERROR(),
      code: defaultCodeForStatus(status),
    };
    if (requestId) body.requestId = requestId;
    return body;
  }

  /**
   * The request's id; one is assigned (and echoed, when the response has not started) if the edge
   * step did not run for this request, so every error body and log line can be correlated.
   */
  private requestId(req: HttpRequestLike, res: unknown, started: boolean): string {
    const state = getSecurityState(req);
    if (!state.requestId) {
      state.requestId = randomUUID();
      if (!started) setResponseHeader(res, this.options.requestId.header, state.requestId);
    }
    return state.requestId;
  }

  private toProblem(body: SecurityErrorBody, req: HttpRequestLike): Record<string, unknown> {
    const { statusCode, error, message, code, requestId, ...extra } = body;
    return {
      type: `urn:nestjs-rampart:error:${String(code).toLowerCase().replace(/_/g, '-')}`,
      title: error,
      status: statusCode,
      detail: Array.isArray(message) ? message.join('; ') : message,
      // The path only: a query string may carry tokens, e-mail addresses or other personal data.
      instance: requestPath(req),
      code,
      ...(requestId ? { requestId } : {}),
      ...extra,
    };
  }

  /** Logs the class name only: messages and stacks may carry secrets or internals. */
  private logUnexpected(exception: unknown, req: HttpRequestLike, requestId: string | undefined): void {
    const name = exception instanceof Error ? exception.constructor.name : typeof exception;
    this.logger.error(`Unhandled ${name} (requestId=${requestId ?? '-'})`);
    this.events.emit({ type: SecurityEventType.INTERNAL_ERROR, outcome: 'failure', reason: name, request: req });
  }
}

/** The HTTP request behind a GraphQL resolver's context, if any. */
function graphqlRequest(host: ArgumentsHost): unknown {
  const context = host.getArgByIndex<{ req?: unknown; request?: unknown } | undefined>(2);
  return context && typeof context === 'object' ? (context.req ?? context.request) : undefined;
}

function pickMessage(response: unknown, exception: HttpException): string | string[] {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.every((m) => typeof m === 'string')) return message as string[];
  return exception.message;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function httpReason(status: number): string {
  return REASONS[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');
}
