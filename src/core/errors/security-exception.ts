import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  GoneException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
  UnprocessableEntityException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { SecurityErrorCode } from './error-codes';

/** The JSON body every SecurityModule error carries (Nest's shape plus a stable code). @publicApi */
export interface SecurityErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  code: SecurityErrorCode | string;
  requestId?: string;
  /** Extra, client-safe detail (e.g. validation errors). Never secrets. */
  [extra: string]: unknown;
}

type ExceptionCtor = new (body: object) => HttpException;

/**
 * Exceptions built by {@link securityException}. Only these may show their message on a 5xx:
 * a `code` in some other HttpException's body proves nothing about what its message contains.
 */
const OWN_EXCEPTIONS = new WeakSet<HttpException>();

const BY_STATUS: Record<number, [ExceptionCtor, string]> = {
  400: [BadRequestException, 'Bad Request'],
  401: [UnauthorizedException, 'Unauthorized'],
  403: [ForbiddenException, 'Forbidden'],
  404: [NotFoundException, 'Not Found'],
  409: [ConflictException, 'Conflict'],
  410: [GoneException, 'Gone'],
  413: [PayloadTooLargeException, 'Payload Too Large'],
  415: [UnsupportedMediaTypeException, 'Unsupported Media Type'],
  422: [UnprocessableEntityException, 'Unprocessable Entity'],
  503: [ServiceUnavailableException, 'Service Unavailable'],
};

/**
 * Builds the Nest built-in HttpException for `status` with the project's body shape:
 * `{ statusCode, error, message, code, ...extra }`. Statuses without a Nest subclass
 * (e.g. 429) get a plain HttpException. The exception filter shows the message of a 5xx only
 * when it was built here, so keep 5xx messages generic.
 *
 * @publicApi
 */
export function securityException(
  status: number,
  code: SecurityErrorCode | string,
  message: string | string[],
  extra?: Record<string, unknown>,
): HttpException {
  const known = BY_STATUS[status];
  const error = known?.[1] ?? (status === 429 ? 'Too Many Requests' : 'Error');
  const body: SecurityErrorBody = { ...extra, statusCode: status, error, message, code };
  const exception = known ? new known[0](body) : new HttpException(body, status);
  OWN_EXCEPTIONS.add(exception);
  return exception;
}

/** Whether `exception` was built by {@link securityException}. @internal */
export function isSecurityException(exception: unknown): boolean {
  return exception instanceof HttpException && OWN_EXCEPTIONS.has(exception);
}
