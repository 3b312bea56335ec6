import { type ArgumentMetadata, Inject, Injectable, Logger, type PipeTransform } from '@nestjs/common';
import type { ValidationError, ValidatorOptions } from 'class-validator';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { attachEvent, takeEvent } from '../core/events/pending-event.util';
import { SecurityEvents } from '../core/events/security-events.service';
import { SecurityEventType, type SecurityEventInput } from '../core/events/security-event.interface';
import type { ResolvedValidationOptions, ValidationIssue } from './validation.options';
import type { ValidationFeatureOptions } from './validation.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { loadValidationPeers, type ValidationPeers } from './class-validator.loader';
import { compileDtoPlan, type Ctor, type DtoPlan } from './dto-plan.util';
import { inspectPayload, type PayloadLimits, type PayloadProblem } from './payload-inspector.util';
import { checkWhitelist, type WhitelistFindings, type WhitelistMode } from './whitelist.util';
import { HeaderInput, headerNameOf } from './header-input.util';

/** Types that are never DTOs: nothing to construct or validate. */
const NOT_DTO = new Set<unknown>([Object, Array, Function, Promise, Buffer, Date, Map, Set, Symbol, BigInt]);
/** class-validator's constraint name for an undeclared property. */
const WHITELIST = 'whitelistValidation';
const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

const PROBLEM_MESSAGES: Record<PayloadProblem['reason'], [string, string]> = {
  max_depth: ['maxDepth', 'is nested too deeply'],
  forbidden_key: ['forbiddenKey', 'is not an allowed property name'],
  null_byte: ['noNullBytes', 'must not contain NUL characters'],
  non_finite_number: ['isFinite', 'must be a finite number'],
};

/**
 * The global validation pipe: class-validator and class-transformer with the safe preset
 * (`whitelist`, `forbidNonWhitelisted`, `transform`, `forbidUnknownValues`), plus structural
 * checks no DTO can express: nesting depth, prototype-pollution keys, NUL bytes, non-finite
 * numbers, default string and array bounds, and type confusion on typed primitive params.
 *
 * Every DTO goes through class-transformer's `plainToInstance` and class-validator's
 * `validateSync` (`validate` when a constraint is async); what a DTO class needs is learned once
 * per class. The whitelist is also checked by name at every validated level (see
 * `checkWhitelist`), so an undeclared property named after an `Object.prototype` member
 * (`hasOwnProperty`, `__defineGetter__`...) is refused like any other, which class-validator's
 * own whitelist does not do.
 *
 * @throws {BadRequestException} `VALIDATION_FAILED`, listing each offending property path and
 * constraint (values are never echoed), unless `validation.exceptionFactory` says otherwise.
 * @throws {UnprocessableEntityException} the same, when `validation.errorStatus` is 422.
 * @publicApi
 */
@Injectable()
export class SecurityValidationPipe implements PipeTransform {
  private readonly config: ResolvedValidationOptions;
  private readonly limits: PayloadLimits;
  private readonly validatorOptions: ValidatorOptions;
  private readonly whitelistMode: WhitelistMode;
  private readonly plans = new Map<Ctor, DtoPlan>();
  /** `Owner.property` sites already logged as `@ValidateNested()` without `@Type()`. */
  private readonly untypedLogged = new Set<string>();
  private readonly logger = new Logger('SecurityValidationPipe');
  private peersCache?: ValidationPeers;
  /** `trimStrings` / `normalizeUnicode`: the string rewrite, or undefined when both are off. */
  private readonly normalize?: (text: string) => string;

  constructor(
    @Inject(SECURITY_OPTIONS) options: ValidationFeatureOptions,
    private readonly events: SecurityEvents,
  ) {
    this.config = options.validation;
    this.limits = { maxDepth: this.config.maxDepth, forbiddenKeys: new Set(this.config.forbiddenKeys) };
    this.validatorOptions = {
      whitelist: this.config.whitelist,
      forbidNonWhitelisted: this.config.forbidNonWhitelisted,
      forbidUnknownValues: this.config.forbidUnknownValues,
      validationError: { target: false, value: false },
    };
    this.normalize = stringNormalizer(this.config);
    this.whitelistMode = !this.config.whitelist ? 'off' : this.config.forbidNonWhitelisted ? 'forbid' : 'strip';
    // Fail at boot, not on the first request, when the optional peers are missing.
    if (this.config.enabled) this.peersCache = loadValidationPeers();
  }

  private get peers(): ValidationPeers {
    return (this.peersCache ??= loadValidationPeers());
  }

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const { type, metatype } = metadata;
    if (type === 'custom') return value instanceof HeaderInput ? this.validateHeaders(value) : value;
    if (value !== null && typeof value === 'object') {
      const problem = inspectPayload(value, this.limits);
      if (problem) this.refuseProblem(problem, metadata);
    } else if (typeof value === 'string' && value.indexOf('\u0000') !== -1) {
      this.refuseProblem({ reason: 'null_byte', path: '' }, metadata);
    }
    if (type === 'body' && metadata.data === undefined && !isObjectBody(value, metatype)) {
      // Express's body-parser refuses a top-level JSON primitive (strict mode), Fastify parses it:
      // refuse it on both so a handler expecting an object never gets `null` or `42`.
      return this.refuse(
        [{ property: '', constraints: { isObject: 'request body must be an object or an array' } }],
        metadata,
      );
    }
    if (!metatype || NOT_DTO.has(metatype)) return value;
    if (metatype === String || metatype === Number || metatype === Boolean) return this.primitive(value, metadata);
    return this.validateDto(value, metatype, metadata);
  }

  /**
   * `@ValidatedHeaders(Dto)`: the headers the DTO declares (by {@link headerNameOf}), as a plain
   * object keyed by property, through the same checks and `validateDto` as a body. Other headers
   * are not read, so they are never refused.
   */
  private validateHeaders(input: HeaderInput): unknown {
    const metatype = input.dto;
    const metadata: ArgumentMetadata = { type: 'custom', metatype, data: undefined };
    const plan = this.planOf(metatype);
    if (plan.problems.length > 0) return this.misconfigured(metatype, metadata);
    const plain: Record<string, unknown> = {};
    const labels = new Map<string, string>();
    for (const property of plan.declared) {
      const name = headerNameOf(property);
      labels.set(property, name);
      const header = input.headers[name];
      if (header !== undefined) plain[property] = header;
    }
    const problem = inspectPayload(plain, this.limits);
    if (problem) this.refuseProblem({ ...problem, path: relabel(problem.path, labels) }, metadata);
    return this.validateDto(plain, metatype, metadata, labels);
  }

  private validateDto(
    value: unknown,
    metatype: Ctor,
    metadata: ArgumentMetadata,
    labels?: ReadonlyMap<string, string>,
  ): unknown {
    if (value === undefined && metadata.type !== 'body') return value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return this.refuse([{ property: metadata.data ?? '', constraints: { isObject: 'must be an object' } }], metadata);
    }
    const plan = this.planOf(metatype);
    if (plan.problems.length > 0) return this.misconfigured(metatype, metadata);
    const instance = this.peers.transformer.plainToInstance(metatype as new () => object, value) as object;
    const found = checkWhitelist(value, instance, this.planOf, this.whitelistMode, this.config.maxDepth);
    if (found.untyped.length > 0) return this.untyped(found.untyped, metatype, metadata);
    if (found.misconfigured.length > 0) return this.misconfigured(metatype, metadata);
    const extra = this.whitelistIssues(found);
    // Before validation, so the constraints see what the handler will get.
    if (this.normalize) normalizeStrings(instance, this.normalize, this.config.maxDepth);
    if (plan.async) {
      return this.peers.validator
        .validate(instance, this.validatorOptions)
        .then((errors) => this.finish(instance, value, errors, extra, metadata, labels));
    }
    return this.finish(
      instance,
      value,
      this.peers.validator.validateSync(instance, this.validatorOptions),
      extra,
      metadata,
      labels,
    );
  }

  /** The plan of a DTO class, learned on first use; its problems are logged then, once. */
  private readonly planOf = (ctor: Ctor): DtoPlan => {
    let plan = this.plans.get(ctor);
    if (!plan) {
      plan = compileDtoPlan(ctor, this.peers, this.validatorOptions);
      this.plans.set(ctor, plan);
      // Said once per DTO, in the log: the client only ever sees a generic 500.
      for (const problem of plan.problems) this.logger.error(`SecurityModule: ${problem}.`);
    }
    return plan;
  };

  private finish(
    instance: object,
    original: unknown,
    errors: readonly ValidationError[],
    extra: readonly ValidationIssue[],
    metadata: ArgumentMetadata,
    labels?: ReadonlyMap<string, string>,
  ): unknown {
    let issues: ValidationIssue[] = [];
    if (errors.length > 0) this.flatten(errors, '', issues);
    for (const issue of extra) {
      // class-validator words the undeclared names it catches itself; add only the ones it missed.
      if (!issues.some((i) => i.property === issue.property && WHITELIST in i.constraints)) issues.push(issue);
    }
    if (issues.length === 0) this.checkBounds(instance, '', issues, 0);
    if (labels) issues = issues.map((issue) => relabelIssue(issue, labels));
    if (issues.length > 0) this.refuse(issues, metadata);
    if (this.config.transform) return instance;
    // Not transforming: hand over the original, or a plain copy when properties were whitelisted
    // out or strings normalised.
    return this.config.whitelist || this.normalize ? { ...instance } : original;
  }

  /** The whitelist findings as issues worded like class-validator's own. */
  private whitelistIssues(found: WhitelistFindings): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    for (const { path, key } of found.undeclared) {
      const text = this.config.sensitiveField.test(key) ? `${path} is invalid` : `property ${key} should not exist`;
      issues.push({ property: path, constraints: { [WHITELIST]: text } });
    }
    if (found.tooDeep !== undefined) issues.push(this.issue(found.tooDeep, 'maxDepth', 'is nested too deeply'));
    return issues;
  }

  /** Typed primitive params: `@Param('id') id: number` gets a number, and an array where a string is expected is refused. */
  private primitive(value: unknown, metadata: ArgumentMetadata): unknown {
    if (value === undefined || !metadata.data) return value;
    const { metatype } = metadata;
    const fromText = metadata.type !== 'body';
    if (metatype === String) {
      return typeof value === 'string' ? value : this.refuseType(metadata, 'isString', 'must be a string');
    }
    if (metatype === Number) {
      if (typeof value === 'number')
        return Number.isFinite(value) ? value : this.refuseType(metadata, 'isFinite', 'must be a finite number');
      if (!fromText || typeof value !== 'string' || !NUMERIC.test(value))
        return this.refuseType(metadata, 'isNumber', 'must be a number');
      const parsed = Number(value);
      if (!Number.isFinite(parsed)) return this.refuseType(metadata, 'isFinite', 'must be a finite number');
      return this.config.transform ? parsed : value;
    }
    if (typeof value === 'boolean') return value;
    if (fromText && (value === 'true' || value === 'false')) return this.config.transform ? value === 'true' : value;
    return this.refuseType(metadata, 'isBoolean', 'must be a boolean');
  }

  /** Default bounds for string and array properties that declare none of their own. */
  private checkBounds(instance: object, prefix: string, issues: ValidationIssue[], depth: number): void {
    const { maxStringLength, maxArrayLength } = this.config;
    if (depth > this.config.maxDepth || (maxStringLength === false && maxArrayLength === false)) return;
    const ctor = instance.constructor as Ctor;
    const plan = ctor === Object ? undefined : this.planOf(ctor);
    const record = instance as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      const path = prefix ? `${prefix}.${key}` : key;
      if (typeof child === 'string') {
        if (maxStringLength !== false && child.length > maxStringLength && !plan?.boundedStrings.has(key)) {
          issues.push(this.issue(path, 'maxLength', `must be shorter than or equal to ${maxStringLength} characters`));
        }
      } else if (Array.isArray(child)) {
        if (maxArrayLength !== false && child.length > maxArrayLength && !plan?.boundedArrays.has(key)) {
          issues.push(this.issue(path, 'arrayMaxSize', `must contain no more than ${maxArrayLength} elements`));
          continue;
        }
        for (let i = 0; i < child.length; i++) {
          const item: unknown = child[i];
          if (
            typeof item === 'string' &&
            maxStringLength !== false &&
            item.length > maxStringLength &&
            !plan?.boundedStrings.has(key)
          ) {
            issues.push(
              this.issue(`${path}.${i}`, 'maxLength', `must be shorter than or equal to ${maxStringLength} characters`),
            );
          } else if (isDtoInstance(item)) this.checkBounds(item, `${path}.${i}`, issues, depth + 1);
        }
      } else if (isDtoInstance(child)) this.checkBounds(child, path, issues, depth + 1);
    }
  }

  /** `@ValidateNested()` without `@Type()`: said once per property in the log, then refused like any misconfigured DTO. */
  private untyped(sites: readonly string[], metatype: Ctor, metadata: ArgumentMetadata): never {
    for (const site of sites) {
      if (this.untypedLogged.has(site)) continue;
      this.untypedLogged.add(site);
      this.logger.error(
        `SecurityModule: ${site} has @ValidateNested() but no @Type(): it stays a plain object that no DTO class checks; add @Type(() => <its DTO class>).`,
      );
    }
    return this.misconfigured(metatype, metadata);
  }

  /** A DTO whose nested objects would go unchecked: refuse (fail closed) instead of letting them through. */
  private misconfigured(metatype: Ctor, metadata: ArgumentMetadata): never {
    const error = securityException(500, SecurityErrorCode.INTERNAL_ERROR, Messages.INTERNAL_ERROR());
    // Like a validation failure, the event rides on the exception to get the request context.
    this.report(error, {
      type: SecurityEventType.INTERNAL_ERROR,
      outcome: 'failure',
      reason: 'dto_misconfigured',
      details: { source: metadata.type, target: metatype.name },
    });
    throw error;
  }

  private flatten(errors: readonly ValidationError[], prefix: string, issues: ValidationIssue[]): void {
    for (const error of errors) {
      // class-validator leaves `property` undefined on an "unknown value" error of the object itself.
      const property = typeof error.property === 'string' ? error.property : '';
      const path = prefix && property ? `${prefix}.${property}` : prefix || property;
      if (error.constraints) {
        const sensitive = this.config.sensitiveField.test(property);
        const constraints: Record<string, string> = {};
        for (const [name, message] of Object.entries(error.constraints)) {
          // A custom message may interpolate $value: never echo a secret back.
          constraints[name] = sensitive ? `${path} is invalid` : message;
        }
        issues.push({ property: path, constraints });
      }
      if (error.children && error.children.length > 0) this.flatten(error.children, path, issues);
    }
  }

  private issue(property: string, constraint: string, text: string): ValidationIssue {
    return { property, constraints: { [constraint]: `${property} ${text}` } };
  }

  private refuseType(metadata: ArgumentMetadata, constraint: string, text: string): never {
    return this.refuse([this.issue(metadata.data ?? '', constraint, text)], metadata);
  }

  private refuseProblem(problem: PayloadProblem, metadata: ArgumentMetadata): never {
    const [constraint, text] = PROBLEM_MESSAGES[problem.reason];
    const base = metadata.data ?? '';
    const path = base && problem.path ? `${base}.${problem.path}` : base || problem.path;
    return this.refuse([this.issue(path, constraint, text)], metadata, problem.reason);
  }

  private refuse(issues: ValidationIssue[], metadata: ArgumentMetadata, reason = 'constraints_failed'): never {
    // A pipe never sees the request: the event rides on the exception, and SecurityModule's
    // exception filter emits it with the request's id, IP, route and method.
    const event = this.events.enabled
      ? {
          type: SecurityEventType.VALIDATION_FAILED,
          outcome: 'blocked' as const,
          reason,
          details: {
            // `custom` reaches here only from @ValidatedHeaders().
            source: metadata.type === 'custom' ? 'headers' : metadata.type,
            target: metadata.metatype?.name,
            // Paths and constraint names only: values and messages stay out of the audit log.
            errors: issues.map((i) => ({ property: i.property, constraints: Object.keys(i.constraints) })),
          },
        }
      : undefined;
    const error = this.config.exceptionFactory
      ? this.config.exceptionFactory(issues)
      : securityException(this.config.errorStatus, SecurityErrorCode.VALIDATION_FAILED, 'Validation failed', {
          errors: issues,
        });
    if (event) this.report(error, event);
    throw error;
  }

  /**
   * Attaches `event` to `error`: SecurityModule's exception filter emits it with the request's id,
   * IP, route template, method, principal and user agent (a pipe never sees the request).
   */
  private report(error: unknown, event: SecurityEventInput): void {
    if (typeof error !== 'object' || error === null) {
      this.events.emit(event);
      return;
    }
    attachEvent(error, event);
    // Safety net: an app filter that catches the error before ours must not lose the event.
    setImmediate(() => {
      const left = takeEvent(error);
      if (left) this.events.emit(left);
    });
  }
}

function stringNormalizer(config: ResolvedValidationOptions): ((text: string) => string) | undefined {
  const { trimStrings, normalizeUnicode: form } = config;
  if (form && trimStrings) return (text) => text.normalize(form).trim();
  if (form) return (text) => text.normalize(form);
  if (trimStrings) return (text) => text.trim();
  return undefined;
}

/**
 * Rewrites, in place, every string value of the DTO instance's own properties, the string items
 * of its arrays, and the same in nested DTO instances (to `maxDepth`). Plain objects (records),
 * keys and non-string values are left alone.
 */
function normalizeStrings(instance: object, rewrite: (text: string) => string, maxDepth: number, depth = 0): void {
  if (depth > maxDepth) return;
  const record = instance as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (typeof child === 'string') record[key] = rewrite(child);
    else if (Array.isArray(child)) {
      for (let i = 0; i < child.length; i++) {
        const item: unknown = child[i];
        if (typeof item === 'string') child[i] = rewrite(item);
        else if (isDtoInstance(item)) normalizeStrings(item, rewrite, maxDepth, depth + 1);
      }
    } else if (isDtoInstance(child)) normalizeStrings(child, rewrite, maxDepth, depth + 1);
  }
}

/** `xApiVersion.0` → `x-api-version.0`: a header DTO's paths name the header. */
function relabel(path: string, labels: ReadonlyMap<string, string>): string {
  const dot = path.indexOf('.');
  const head = dot === -1 ? path : path.slice(0, dot);
  const name = labels.get(head);
  return name === undefined ? path : name + (dot === -1 ? '' : path.slice(dot));
}

function relabelIssue(issue: ValidationIssue, labels: ReadonlyMap<string, string>): ValidationIssue {
  const property = relabel(issue.property, labels);
  if (property === issue.property) return issue;
  const head = issue.property.split('.')[0];
  const name = labels.get(head) ?? head;
  const constraints: Record<string, string> = {};
  // class-validator's messages start with the property name: say the header's instead.
  for (const [key, text] of Object.entries(issue.constraints)) {
    constraints[key] = text.startsWith(issue.property)
      ? property + text.slice(issue.property.length)
      : text.startsWith(head)
        ? name + text.slice(head.length)
        : text;
  }
  return { property, constraints };
}

function isObjectBody(value: unknown, metatype: Ctor | undefined): boolean {
  if (value === undefined || (value !== null && typeof value === 'object')) return true;
  // A handler that asked for a string body (text parser) gets one.
  return metatype === String && typeof value === 'string';
}

function isDtoInstance(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto !== Object.prototype && proto !== null && !(value instanceof Date) && !Buffer.isBuffer(value);
}
