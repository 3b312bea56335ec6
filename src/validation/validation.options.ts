import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolveContext, FeatureOptions } from '../core/options/core.options';
import {
  describe,
  join,
  readBoolean,
  readEnum,
  readFunction,
  readNumber,
  readStrictSection,
  readStringArray,
  type Raw,
  optionKeys,
} from '../core/options/validate.util';

/**
 * One offending property of a refused input, as listed in the 400 body's `errors` array.
 *
 * @publicApi
 */
export interface ValidationIssue {
  /** Dotted property path (`address.city`, `items.0.sku`); `''` for the value itself. */
  property: string;
  /** Failed constraint name → message. Messages never carry the submitted value. */
  constraints: Record<string, string>;
}

/** Unicode normalisation forms `validation.normalizeUnicode` accepts. @publicApi */
export type UnicodeNormalization = 'NFC' | 'NFKC';

/** Statuses a refused input may be answered with (`validation.errorStatus`). @publicApi */
export type ValidationErrorStatus = 400 | 422;

/** Builds the error thrown for refused input (ValidationPipe's `exceptionFactory`). @publicApi */
export type ValidationExceptionFactory = (issues: ValidationIssue[]) => unknown;

/** Query pagination defaults used by `PaginationPipe`. @publicApi */
export interface PaginationOptions {
  /**
   * Page size when the client sends no `limit`.
   * @default 20
   */
  defaultLimit?: number;
  /**
   * Largest page size; a bigger `limit` is capped to it.
   * @default 100
   */
  maxLimit?: number;
  /**
   * Largest `offset` (deep offsets are expensive queries); beyond it the request is refused.
   * @default 100000
   */
  maxOffset?: number;
}

/**
 * Input validation hardening: the global DTO pipe and the pre-DTO checks.
 *
 * @publicApi
 */
export interface ValidationOptions {
  /**
   * Turns the feature on or off. Off makes the pipe and the payload checks no-ops.
   * @default true
   */
  enabled?: boolean;
  /**
   * Strips properties the DTO does not declare (class-validator `whitelist`).
   * @default true
   */
  whitelist?: boolean;
  /**
   * Refuses (400) a body with a property the DTO does not declare, naming it: mass assignment
   * (`role: 'admin'`, `isVerified: true`) is blocked instead of silently stripped.
   * @default true
   */
  forbidNonWhitelisted?: boolean;
  /**
   * Hands the handler an instance of the DTO class (and numbers/booleans for typed params).
   * @default true
   */
  transform?: boolean;
  /**
   * Refuses values of classes class-validator knows nothing about.
   * @default true
   */
  forbidUnknownValues?: boolean;
  /**
   * Largest request body in bytes, checked on `Content-Length` before the body is used (413).
   * On Express, also raise the body parser's own 100 kB default: `app.useBodyParser('json', { limit })`.
   * @default 1048576 (1 MiB)
   */
  maxPayloadBytes?: number;
  /**
   * Longest time (ms) a request body may take to arrive, from the end of its headers. Past it, the
   * request gets 408 `REQUEST_TIMEOUT` (or, once a response has started, its connection is closed),
   * so a client announcing a body and sending it byte by byte cannot hold a connection. Node's own
   * bound (`server.requestTimeout`) is 300 s, and Fastify sets none.
   * @default 30000
   */
  bodyTimeoutMs?: number;
  /**
   * Deepest nesting of objects and arrays accepted in a body or query (400).
   * @default 32
   */
  maxDepth?: number;
  /**
   * Media types a request body may have; anything else, or a body without `Content-Type`,
   * is refused with 415. `*` wildcards the subtype (`application/*+json`).
   * @default ['application/json', 'application/*+json', 'multipart/form-data']
   */
  allowedContentTypes?: string[];
  /**
   * Object keys refused anywhere in a body or query (prototype pollution).
   * @default ['__proto__', 'constructor', 'prototype']
   */
  forbiddenKeys?: string[];
  /**
   * Longest string accepted in a DTO property that declares no length rule of its own
   * (`@MaxLength`, `@Length`). `false` turns the default bound off.
   * @default 10000
   */
  maxStringLength?: number | false;
  /**
   * Most items accepted in a DTO array property that declares no `@ArrayMaxSize`. `false` turns
   * the default bound off.
   * @default 1000
   */
  maxArrayLength?: number | false;
  /**
   * Trims leading and trailing whitespace (`String.prototype.trim`: spaces, tabs, line breaks,
   * NBSP, BOM and the other Unicode spaces) from every string value of a DTO property, at every
   * nesting level (nested DTOs, string items of array properties; bodies, query DTOs and
   * `@ValidatedHeaders()` DTOs alike), after class-transformer and before validation, so
   * `@MinLength(1)` refuses `"   "`. Plain-object values (`@IsObject()` records), object keys and
   * single typed parameters (`@Query('q') q: string`) are left as sent.
   * @default false
   */
  trimStrings?: boolean;
  /**
   * Unicode normalisation form applied to the same strings as `trimStrings` (and before the trim),
   * so `"é"` sent as `e` + combining accent equals the precomposed `"é"` for `@IsIn`, `@Matches`
   * and uniqueness checks. `'NFKC'` also folds compatibility characters (full-width letters,
   * ligatures). `false` leaves strings as sent.
   * @default false
   */
  normalizeUnicode?: UnicodeNormalization | false;
  /**
   * Longest query string accepted, in characters of the raw (percent-encoded) text after `?`.
   * Checked at the edge, before routing (unknown paths too): longer gets 414 `QUERY_TOO_LONG`.
   * APIs whose queries are short can go lower (e.g. 500). `false` turns the cap off.
   * @default 2048
   */
  maxQueryLength?: number | false;
  /**
   * Most query parameters accepted (`a=1&b=2&a=3` is 3), checked at the edge like
   * `maxQueryLength`: more gets 400 `TOO_MANY_QUERY_PARAMETERS`. Express and Fastify would
   * otherwise silently drop parameters past 1000. `false` turns the cap off.
   * @default 100
   */
  maxQueryParameters?: number | false;
  /**
   * Extra property names (case-insensitive) whose validation messages are replaced by a generic
   * one, on top of passwords, secrets, tokens, keys, card numbers and the like.
   * @default []
   */
  sensitiveFields?: string[];
  /** Pagination defaults for `PaginationPipe`. */
  pagination?: PaginationOptions;
  /**
   * HTTP status of a refused input (`VALIDATION_FAILED`), for bodies, query strings, path
   * parameters, `@ValidatedHeaders()` DTOs and `PaginationPipe` alike: 400 Bad Request (Nest's
   * convention) or 422 Unprocessable Entity. The body shape and `code` are the same either way.
   * Ignored when `exceptionFactory` is given (the factory's exception decides).
   * @default 400
   */
  errorStatus?: ValidationErrorStatus;
  /**
   * Builds the error thrown for refused input. By default a 400
   * `{ code: 'VALIDATION_FAILED', message: 'Validation failed', errors: [...] }`.
   * @default undefined
   */
  exceptionFactory?: ValidationExceptionFactory;
}

/** Compiled content-type rule. @internal */
export interface ContentTypeRule {
  type: string;
  /** `application/*+json`: subtype suffix after the wildcard. */
  suffix?: string;
}

/** @internal */
export interface ResolvedValidationOptions {
  enabled: boolean;
  whitelist: boolean;
  forbidNonWhitelisted: boolean;
  transform: boolean;
  forbidUnknownValues: boolean;
  maxPayloadBytes: number;
  bodyTimeoutMs: number;
  maxDepth: number;
  allowedContentTypes: ContentTypeRule[];
  forbiddenKeys: string[];
  maxStringLength: number | false;
  maxArrayLength: number | false;
  trimStrings: boolean;
  normalizeUnicode: UnicodeNormalization | false;
  maxQueryLength: number | false;
  maxQueryParameters: number | false;
  /** Compiled from the built-in list plus `sensitiveFields`. */
  sensitiveField: RegExp;
  pagination: Required<PaginationOptions>;
  errorStatus: ValidationErrorStatus;
  exceptionFactory?: ValidationExceptionFactory;
}

const KEYS = optionKeys<ValidationOptions>()([
  'enabled',
  'whitelist',
  'forbidNonWhitelisted',
  'transform',
  'forbidUnknownValues',
  'maxPayloadBytes',
  'bodyTimeoutMs',
  'maxDepth',
  'allowedContentTypes',
  'forbiddenKeys',
  'maxStringLength',
  'maxArrayLength',
  'trimStrings',
  'normalizeUnicode',
  'maxQueryLength',
  'maxQueryParameters',
  'sensitiveFields',
  'pagination',
  'errorStatus',
  'exceptionFactory',
]);
const PAGINATION_KEYS = optionKeys<PaginationOptions>()(['defaultLimit', 'maxLimit', 'maxOffset']);

const SENSITIVE_SOURCE =
  'pass(word|wd|phrase)?|secret|token|api[-_]?key|authorization|cookie|signature|credential|private[-_]?key|cvv|cvc|card[-_]?number|ssn|iban';
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/(\*|\*?[a-z0-9!#$&^_.+-]+)$/;

function readBound(raw: Raw, key: string, path: string, fallback: number): number | false {
  if (raw[key] === false) return false;
  return readNumber(raw, key, path, fallback, { min: 1, max: 10_000_000, integer: true });
}

function compileContentTypes(list: string[], path: string): ContentTypeRule[] {
  if (list.length === 0) {
    throw SecurityConfigError.create(
      join(path, 'allowedContentTypes'),
      'is empty, so every request body would be refused',
      'List at least "application/json"',
    );
  }
  return list.map((entry, i) => {
    const value = entry.trim().toLowerCase();
    if (!MEDIA_TYPE.test(value)) {
      throw SecurityConfigError.create(
        `${join(path, 'allowedContentTypes')}[${i}]`,
        `"${entry}" is not a media type`,
        'Use e.g. "application/json" or "application/*+json"',
      );
    }
    const [type, subtype] = value.split('/');
    if (subtype === '*') return { type, suffix: '' };
    return subtype.startsWith('*') ? { type, suffix: subtype.slice(1) } : { type: value };
  });
}

function resolvePagination(value: unknown, path: string): Required<PaginationOptions> {
  const raw = readStrictSection(value, PAGINATION_KEYS, path);
  const maxLimit = readNumber(raw, 'maxLimit', path, 100, { min: 1, max: 10_000, integer: true });
  const defaultLimit = readNumber(raw, 'defaultLimit', path, Math.min(20, maxLimit), { min: 1, integer: true });
  if (defaultLimit > maxLimit) {
    throw SecurityConfigError.create(
      join(path, 'defaultLimit'),
      `(${defaultLimit}) is larger than maxLimit (${maxLimit})`,
      'Lower defaultLimit or raise maxLimit',
    );
  }
  const maxOffset = readNumber(raw, 'maxOffset', path, 100_000, { min: 0, integer: true });
  return { defaultLimit, maxLimit, maxOffset };
}

function readErrorStatus(raw: Raw, path: string): ValidationErrorStatus {
  const value = raw.errorStatus;
  if (value === undefined) return 400;
  if (value === 400 || value === 422) return value;
  throw SecurityConfigError.create(
    join(path, 'errorStatus'),
    `must be 400 or 422, got ${typeof value === 'number' ? value : describe(value)}`,
    'Use 400 (Bad Request, the default) or 422 (Unprocessable Entity)',
  );
}

/** Validates `validation` once at boot. @internal */
export function resolveValidationOptions(
  value: unknown,
  _ctx: ResolveContext,
  path = 'validation',
): ResolvedValidationOptions {
  const raw = readStrictSection(value, KEYS, path);
  const forbiddenKeys = readStringArray(raw, 'forbiddenKeys', path, ['__proto__', 'constructor', 'prototype']);
  if (!forbiddenKeys.includes('__proto__')) {
    throw SecurityConfigError.create(
      join(path, 'forbiddenKeys'),
      'must keep "__proto__": without it a body can pollute Object.prototype',
      'Add "__proto__" back to the list',
    );
  }
  const sensitive = readStringArray(raw, 'sensitiveFields', path, []).map((f) =>
    f.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  );
  const factory = readFunction<ValidationExceptionFactory>(raw, 'exceptionFactory', path);
  for (const key of ['maxStringLength', 'maxArrayLength', 'maxQueryLength', 'maxQueryParameters']) {
    if (raw[key] === true) {
      throw SecurityConfigError.create(
        join(path, key),
        `must be a number or false, got ${describe(true)}`,
        'Use a number',
      );
    }
  }
  return {
    enabled: readBoolean(raw, 'enabled', path, true),
    whitelist: readBoolean(raw, 'whitelist', path, true),
    forbidNonWhitelisted: readBoolean(raw, 'forbidNonWhitelisted', path, true),
    transform: readBoolean(raw, 'transform', path, true),
    forbidUnknownValues: readBoolean(raw, 'forbidUnknownValues', path, true),
    maxPayloadBytes: readNumber(raw, 'maxPayloadBytes', path, 1_048_576, { min: 1, integer: true, unit: 'bytes' }),
    bodyTimeoutMs: readNumber(raw, 'bodyTimeoutMs', path, 30_000, {
      min: 1,
      max: 3_600_000,
      integer: true,
      unit: 'ms',
    }),
    maxDepth: readNumber(raw, 'maxDepth', path, 32, { min: 1, max: 1_000, integer: true }),
    allowedContentTypes: compileContentTypes(
      readStringArray(raw, 'allowedContentTypes', path, [
        'application/json',
        'application/*+json',
        'multipart/form-data',
      ]),
      path,
    ),
    forbiddenKeys,
    maxStringLength: readBound(raw, 'maxStringLength', path, 10_000),
    maxArrayLength: readBound(raw, 'maxArrayLength', path, 1_000),
    trimStrings: readBoolean(raw, 'trimStrings', path, false),
    normalizeUnicode:
      raw.normalizeUnicode === undefined || raw.normalizeUnicode === false
        ? false
        : readEnum(raw, 'normalizeUnicode', path, ['NFC', 'NFKC'] as const, 'NFC'),
    maxQueryLength: readBound(raw, 'maxQueryLength', path, 2_048),
    maxQueryParameters: readBound(raw, 'maxQueryParameters', path, 100),
    sensitiveField: new RegExp([SENSITIVE_SOURCE, ...sensitive].join('|'), 'i'),
    pagination: resolvePagination(raw.pagination, join(path, 'pagination')),
    errorStatus: readErrorStatus(raw, path),
    ...(factory ? { exceptionFactory: factory } : {}),
  };
}

/** The injected options validation's services read. @internal */
export type ValidationFeatureOptions = FeatureOptions<{ validation: ResolvedValidationOptions }>;
