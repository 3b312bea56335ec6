import { HttpException } from '@nestjs/common';
import { defaultCodeForStatus, SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { isSecurityException } from '../core/errors/security-exception';
import { GraphqlErrorCode } from './graphql.constants';

/** A GraphQL error as the client receives it. @internal */
export interface ClientGraphqlError {
  message: string;
  locations?: readonly { line: number; column: number }[];
  path?: readonly (string | number)[];
  extensions: Record<string, unknown>;
}

interface ErrorLike {
  message?: unknown;
  originalError?: unknown;
  extensions?: unknown;
  locations?: unknown;
  path?: unknown;
}

/** Body keys of an HttpException a client may see besides message and code. */
const SAFE_EXTRAS = ['retryAfter', 'limit', 'policy', 'cost', 'maxCost', 'errors'];
const SUGGESTION = /\s*Did you mean [^?]*\?/g;
// graphql-js says "more than"; some servers match on its older typo "more that".
const TOKEN_LIMIT = /^Syntax Error: Document contains more th(?:an|at) \d+ tokens/;

function asObject(value: unknown): ErrorLike | undefined {
  return typeof value === 'object' && value !== null ? (value as ErrorLike) : undefined;
}

/** The error a resolver, guard or hook threw, under graphql-js's and the servers' wrappers. */
function rootCause(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 10; i++) {
    const next = asObject(current)?.originalError;
    if (!next || typeof next !== 'object') return current;
    current = next;
  }
  return current;
}

function fromHttpException(exception: HttpException): { message: string; extensions: Record<string, unknown> } {
  const status = exception.getStatus();
  if (status >= 500 && !isSecurityException(exception)) return internal();
  const response = exception.getResponse();
  const body = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
  const raw = typeof response === 'string' ? response : body.message;
  const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : exception.message;
  const extensions: Record<string, unknown> = {
    code: typeof body.code === 'string' ? body.code : defaultCodeForStatus(status),
    status,
  };
  for (const key of SAFE_EXTRAS) if (body[key] !== undefined) extensions[key] = body[key];
  return { message, extensions };
}

function internal(): { message: string; extensions: Record<string, unknown> } {
  return { message: Messages.INTERNAL_ERROR(), extensions: { code: SecurityErrorCode.INTERNAL_ERROR } };
}

/** A GraphQL error built on purpose (graphql-js, the server, our rules, or user code). */
function fromGraphqlError(
  error: ErrorLike,
  suggestions: boolean,
): { message: string; extensions: Record<string, unknown> } {
  let message = typeof error.message === 'string' ? error.message : 'Invalid request';
  if (!suggestions) message = message.replace(SUGGESTION, '');
  const given = asObject(error.extensions) as Record<string, unknown> | undefined;
  let code = typeof given?.code === 'string' ? given.code : undefined;
  if (TOKEN_LIMIT.test(message)) {
    code = GraphqlErrorCode.TOKEN_LIMIT;
    message = 'Document has too many tokens';
  } else if (!code || code === 'INTERNAL_SERVER_ERROR') {
    code = message.startsWith('Syntax Error') ? GraphqlErrorCode.PARSE_FAILED : GraphqlErrorCode.VALIDATION_FAILED;
  }
  const extensions: Record<string, unknown> = { code };
  for (const key of SAFE_EXTRAS) if (given?.[key] !== undefined) extensions[key] = given[key];
  return { message, extensions };
}

function isGraphqlError(value: unknown): value is ErrorLike {
  const error = asObject(value);
  return (
    error !== undefined &&
    value instanceof Error &&
    (value.constructor.name === 'GraphQLError' ||
      (error.extensions !== undefined && typeof error.extensions === 'object'))
  );
}

/**
 * What a client may see of any GraphQL error: its message and `extensions.code` and, for
 * HttpExceptions (guards, services), the library's code and safe extras (`retryAfter`...). Errors
 * of unknown origin (a driver's TypeError, a database error) become `INTERNAL_ERROR` with a generic
 * message; stack traces and server internals never leave. With `suggestions` off, "Did you mean"
 * hints are removed.
 *
 * @internal
 */
export function toClientError(error: unknown, suggestions: boolean): ClientGraphqlError {
  const outer = asObject(error) ?? {};
  const cause = rootCause(error);
  const shown =
    cause instanceof HttpException
      ? fromHttpException(cause)
      : isGraphqlError(cause)
        ? fromGraphqlError(cause, suggestions)
        : internal();
  const result: ClientGraphqlError = { message: shown.message, extensions: shown.extensions };
  if (Array.isArray(outer.locations) && outer.locations.length > 0) result.locations = outer.locations;
  if (Array.isArray(outer.path)) result.path = outer.path;
  return result;
}

/** Whether an error should end the request with this HTTP status rather than 200. @internal */
export function statusOf(error: ClientGraphqlError): number {
  const code = error.extensions.code;
  if (code === SecurityErrorCode.INTERNAL_ERROR) return 200;
  const status = error.extensions.status;
  if (typeof status === 'number' && status >= 400 && status < 500) return status;
  return 400;
}
