import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { securityException } from '../core/errors/security-exception';
import type { PaginationOptions, ValidationErrorStatus } from './validation.options';
import type { ValidationFeatureOptions } from './validation.options';
import { SECURITY_OPTIONS } from '../core/security.constants';

/** A validated page request. @publicApi */
export interface Pagination {
  /** Page size, at most `validation.pagination.maxLimit`. */
  limit: number;
  /** Items to skip. */
  offset: number;
  /** 1-based page number (derived from `offset` when the client sent one). */
  page: number;
}

const INTEGER = /^\d{1,9}$/;

/**
 * Parses `limit` plus `offset` or `page` from the query: whole numbers only, a missing `limit`
 * becomes `validation.pagination.defaultLimit`, a `limit` above `maxLimit` is capped to it, and
 * an `offset` beyond `maxOffset` is refused. Other query keys are left to the rest of the query.
 *
 * @example
 * ```ts
 * @Get()
 * list(@Query(PaginationPipe) page: Pagination) { return this.repo.find({ take: page.limit, skip: page.offset }); }
 * ```
 * @throws {BadRequestException} `VALIDATION_FAILED` for a non-integer, zero or negative value
 * (UnprocessableEntityException, 422, when `validation.errorStatus` is 422).
 * @publicApi
 */
@Injectable()
export class PaginationPipe implements PipeTransform<unknown, Pagination> {
  private readonly config: Required<PaginationOptions>;
  private readonly errorStatus: ValidationErrorStatus;

  constructor(@Inject(SECURITY_OPTIONS) options: ValidationFeatureOptions) {
    this.config = options.validation.pagination;
    this.errorStatus = options.validation.errorStatus;
  }

  transform(query: unknown): Pagination {
    const q = query !== null && typeof query === 'object' ? (query as Record<string, unknown>) : {};
    const requested = this.read(q.limit, 'limit', 1);
    const limit = requested === undefined ? this.config.defaultLimit : Math.min(requested, this.config.maxLimit);
    const page = this.read(q.page, 'page', 1);
    let offset = this.read(q.offset, 'offset', 0);
    if (offset === undefined) offset = page === undefined ? 0 : (page - 1) * limit;
    if (offset > this.config.maxOffset)
      this.refuse('offset', 'max', `offset must not be greater than ${this.config.maxOffset}`);
    return { limit, offset, page: Math.floor(offset / limit) + 1 };
  }

  private read(value: unknown, name: string, min: number): number | undefined {
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !INTEGER.test(value)) this.refuse(name, 'isInt', `${name} must be an integer`);
    const n = Number(value);
    if (n < min) this.refuse(name, 'min', `${name} must not be less than ${min}`);
    return n;
  }

  private refuse(property: string, constraint: string, message: string): never {
    throw securityException(this.errorStatus, SecurityErrorCode.VALIDATION_FAILED, 'Validation failed', {
      errors: [{ property, constraints: { [constraint]: message } }],
    });
  }
}
