import { HttpException, NotFoundException } from '@nestjs/common';
import { SecurityErrorCode } from './error-codes';
import { Messages } from './messages.constant';

/** The public code and message of an error the HTTP framework raised. @internal */
export interface FrameworkErrorAnswer {
  code: SecurityErrorCode;
  message: string;
}

interface CauseLike {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  code?: unknown;
}

/**
 * Recognises the errors the adapters raise before a route runs and maps them to a generic answer:
 * body-parser and Fastify content-parser errors (Nest wraps them in a plain `HttpException` whose
 * `cause` is the original), Express's parameter `URIError`, and the not-found handler's
 * `Cannot GET /path`. Their messages quote the parser (V8's JSON errors quote the body, passwords
 * included), name the framework or echo the path: none of it reaches the client.
 *
 * @internal
 */
export function frameworkErrorAnswer(
  exception: HttpException,
  method: string | undefined,
): FrameworkErrorAnswer | undefined {
  const status = exception.getStatus();
  if (exception instanceof NotFoundException && method && exception.message.startsWith(`Cannot ${method} `)) {
    return { code: SecurityErrorCode.NOT_FOUND, message: Messages.NOT_FOUND() };
  }
  const cause = exception.cause;
  if (!(cause instanceof Error) || !isFrameworkCause(cause)) return undefined;
  if (cause instanceof URIError) return { code: SecurityErrorCode.BAD_REQUEST, message: Messages.MALFORMED_URL() };
  switch (status) {
    case 400:
      return { code: SecurityErrorCode.MALFORMED_BODY, message: Messages.MALFORMED_BODY() };
    case 413:
      return { code: SecurityErrorCode.PAYLOAD_TOO_LARGE, message: Messages.PAYLOAD_TOO_LARGE() };
    case 415:
      return { code: SecurityErrorCode.UNSUPPORTED_MEDIA_TYPE, message: Messages.UNSUPPORTED_MEDIA_TYPE() };
    default:
      return undefined;
  }
}

/** An error of Express's body parsers or router (http-errors, 400 SyntaxError/URIError) or of Fastify. */
function isFrameworkCause(cause: Error & CauseLike): boolean {
  if ((cause instanceof SyntaxError || cause instanceof URIError) && cause.status === 400) return true;
  if (typeof cause.code === 'string' && cause.code.startsWith('FST_ERR_')) return true;
  return typeof cause.type === 'string' && (typeof cause.statusCode === 'number' || typeof cause.status === 'number');
}
