import { createParamDecorator, type ExecutionContext, Logger, type PipeTransform, type Type } from '@nestjs/common';
import { getRequest } from '../core/context/get-request';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { attachEvent } from '../core/events/pending-event.util';
import { SecurityEventType } from '../core/events/security-event.interface';
import { HeaderInput } from './header-input.util';

const HeadersParam = createParamDecorator(
  (source: { readonly dto: Type<object> }, ctx: ExecutionContext): HeaderInput =>
    new HeaderInput(source.dto, getRequest(ctx).headers),
);

/**
 * Runs after every other pipe of the parameter: a `HeaderInput` still here means no
 * `SecurityValidationPipe` validated it (`validation.enabled: false`, or SecurityModule not
 * imported). Refused with a generic 500 rather than handing over unchecked headers.
 */
class ValidatedHeadersCheckPipe implements PipeTransform {
  private logged = false;

  constructor(private readonly dto: Type<object>) {}

  transform(value: unknown): unknown {
    if (!(value instanceof HeaderInput)) return value;
    if (!this.logged) {
      this.logged = true;
      new Logger('SecurityValidationPipe').error(
        `SecurityModule: @ValidatedHeaders(${this.dto.name}) ran without the validation pipe, so its headers are not checked; import SecurityModule and keep validation.enabled true.`,
      );
    }
    // Reported like a misconfigured DTO: SecurityModule's exception filter emits it with the request.
    throw attachEvent(securityException(500, SecurityErrorCode.INTERNAL_ERROR, Messages.INTERNAL_ERROR()), {
      type: SecurityEventType.INTERNAL_ERROR,
      outcome: 'failure',
      reason: 'validation_disabled',
      details: { source: 'headers', target: this.dto.name },
    });
  }
}

/**
 * Validates and transforms the request's headers with a class-validator DTO, exactly as a body:
 * the same `SecurityValidationPipe`, the same rules (`transform`, default string bounds, sensitive
 * fields, `validation.errorStatus`) and the same `VALIDATION_FAILED` error, whose `property` is the
 * header name.
 *
 * Header names are case-insensitive. A DTO property names its header either literally, with
 * dashes (`'x-api-version'`), or in camelCase (`xApiVersion` reads `X-Api-Version`, `tenantId`
 * reads `Tenant-Id`). Only the headers the DTO declares are read: every other header is ignored,
 * never refused. Use `@Type(() => Number)` for numeric headers, as for a query string.
 *
 * Needs the validation feature: with `validation.enabled: false` (or without SecurityModule) a
 * route using it answers a generic 500 and logs why, instead of handing over unchecked headers.
 *
 * @example
 * ```ts
 * class TenantHeaders {
 *   @IsIn(['2024-01-01', '2025-06-01']) xApiVersion!: string;
 *   @IsUUID() 'x-tenant-id'!: string;
 * }
 *
 * @Get('reports')
 * list(@ValidatedHeaders(TenantHeaders) headers: TenantHeaders) {}
 * ```
 * @throws {BadRequestException} `VALIDATION_FAILED` (422 with `validation.errorStatus: 422`).
 * @publicApi
 */
export function ValidatedHeaders(dto: Type<object>): ParameterDecorator {
  if (typeof dto !== 'function') {
    throw new TypeError('@ValidatedHeaders() needs a DTO class, e.g. @ValidatedHeaders(ApiHeaders)');
  }
  return HeadersParam(Object.freeze({ dto }), new ValidatedHeadersCheckPipe(dto));
}
