import type * as ClassValidator from 'class-validator';
import type { ValidationArguments, ValidatorConstraintInterface, ValidatorOptions } from 'class-validator';
import type { Ctor } from './dto-plan.util';

/**
 * Says "certainly valid" for an instance of one DTO class without class-validator's executor.
 * `true` means `validateSync(instance, options)` would return no errors; `false` only means
 * "not known": the caller runs `validateSync` as usual. @internal
 */
export type Acceptor = (instance: object) => boolean;

/** One validation metadata of type `customValidation` or `isDefined`, ready to call. */
interface Check {
  property: string;
  /** The metadata's own `constraints`, passed as is in `ValidationArguments`. */
  constraints: unknown[];
  /** The per-decorator `validateIf` option. */
  validateIf?: (object: object, value: unknown) => unknown;
  /** The constraint class's implementations (`getTargetValidatorConstraints`), resolved once. */
  validators: ValidatorConstraintInterface[];
}

/** What the executor does for one property, in its order. */
interface PropertyChecks {
  name: string;
  /** `constraints[0]` of each `conditionalValidation` metadata (`@IsOptional`, `@ValidateIf`). */
  conditions: Array<(object: object, value: unknown) => unknown>;
  /** The `isDefined` metadatas, then the `customValidation` ones. */
  checks: Check[];
}

const enum Whitelist {
  Off,
  Strip,
  Forbid,
}

/**
 * The only validator options the acceptor knows the effect of; any other one set (groups,
 * always, strictGroups, skip*Properties, stopAtFirstError…) means no acceptor.
 */
const KNOWN_OPTIONS = new Set(['whitelist', 'forbidNonWhitelisted', 'forbidUnknownValues', 'validationError']);

/**
 * The class-validator releases whose `ValidationExecutor` this file mirrors (read from 0.15.1, and
 * compared with 0.14.0 and 0.14.4: the same control flow, except that 0.14 has no per-decorator
 * `validateIf` option). Any other release gets no acceptor.
 */
const MIRRORED_VERSIONS = /^0\.1[45]\.\d+$/;
let installedVersion: string | null | undefined;

/** Whether `version` is a class-validator release the acceptor mirrors. @internal */
export function isMirroredVersion(version: unknown): boolean {
  return typeof version === 'string' && MIRRORED_VERSIONS.test(version);
}

function classValidatorVersion(): string | null {
  if (installedVersion === undefined) {
    try {
      // Resolved from here like the loader's require('class-validator'), so it is the same copy.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pkg = require('class-validator/package.json') as { version?: unknown };
      installedVersion = typeof pkg.version === 'string' ? pkg.version : null;
    } catch {
      installedVersion = null;
    }
  }
  return installedVersion;
}

/** Keys the executor's `{}`-based grouping finds on Object.prototype: it treats them differently, so never accept them. */
const PROTO_PROBE: Record<string, unknown> = {};

/**
 * Compiles an accept-only fast path for `dto` that mirrors class-validator's (0.14, 0.15)
 * `ValidationExecutor` for `validateSync(instance, options)`:
 *
 * - the metadatas are read with the same arguments the executor uses (`targetSchema` undefined,
 *   `always` and `strictGroups` false, no groups), inheritance included, and grouped by
 *   class-validator's own `groupByPropertyName`, so properties are visited in the same order;
 * - whitelisting: an own key with no metadata is refused (`forbidNonWhitelisted`) or deleted
 *   (`whitelist` alone), as the executor does, before anything is validated;
 * - per property: every condition is called, and all must be truthy for the property to be
 *   validated; then each `isDefined` metadata and each `customValidation` metadata, skipped when
 *   its `validateIf` option is falsy, calls `validate(value, args)` of every constraint of its
 *   class with the `ValidationArguments` the executor builds.
 *
 * It only answers `true` when every call returned exactly `true`; a `false`, a promise, any other
 * value or a thrown error means "not known", and the stricter side is always the safe one.
 *
 * No acceptor (`undefined`) on a class-validator release other than 0.14 or 0.15, or when the
 * class uses anything it does not mirror: nested or promise validation, `each`, groups,
 * `always`, async constraints, unknown metadata types, property names found on
 * `Object.prototype`, no metadata at all, or validator options other than `whitelist`,
 * `forbidNonWhitelisted`, `forbidUnknownValues` and `validationError`.
 *
 * Like the rest of the DTO plan, it is learned once per class: metadata registered on the class
 * or its parents after the first request is not seen. Constraint instances are resolved once
 * (`ConstraintMetadata.instance`), as class-validator's default container keeps one per class.
 *
 * @internal
 */
export function compileAcceptor(
  dto: Ctor,
  validator: typeof ClassValidator,
  options: ValidatorOptions,
): Acceptor | undefined {
  const version = classValidatorVersion();
  if (!isMirroredVersion(version)) return undefined;
  // 0.14's executor ignores a `validateIf` on a metadata: never skip a check it would run.
  const honoursValidateIf = version!.startsWith('0.15.');
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !KNOWN_OPTIONS.has(key)) return undefined;
  }
  const storage = validator.getMetadataStorage();
  // ValidationExecutor.execute(): groups, strictGroups and always as it derives them from the options.
  const metadatas = storage.getTargetValidationMetadatas(
    dto,
    undefined as unknown as string,
    options.always || false,
    options.strictGroups || false,
    options.groups,
  );
  // With forbidUnknownValues the executor refuses a class without metadata; without it, not worth a fast path.
  if (metadatas.length === 0) return undefined;
  const types = validator.ValidationTypes;
  for (const m of metadatas) {
    if ((m.groups && m.groups.length > 0) || m.always !== undefined || m.each) return undefined;
    if (typeof m.propertyName !== 'string' || m.propertyName in PROTO_PROBE) return undefined;
    if (
      m.type !== types.CUSTOM_VALIDATION &&
      m.type !== types.IS_DEFINED &&
      m.type !== types.CONDITIONAL_VALIDATION &&
      m.type !== types.WHITELIST
    ) {
      return undefined;
    }
  }
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyChecks[] = [];
  for (const name of Object.keys(grouped)) {
    const compiled = compileProperty(name, grouped[name], validator, honoursValidateIf);
    if (!compiled) return undefined;
    properties.push(compiled);
  }
  const allowed = new Set(Object.keys(grouped).filter((name) => grouped[name].length > 0));
  const whitelist = !options.whitelist
    ? Whitelist.Off
    : options.forbidNonWhitelisted
      ? Whitelist.Forbid
      : Whitelist.Strip;
  return makeAcceptor(dto, properties, allowed, whitelist);
}

function compileProperty(
  name: string,
  metadatas: ReturnType<ClassValidator.MetadataStorage['getTargetValidationMetadatas']>,
  validator: typeof ClassValidator,
  honoursValidateIf: boolean,
): PropertyChecks | undefined {
  const types = validator.ValidationTypes;
  const conditions: PropertyChecks['conditions'] = [];
  for (const m of metadatas) {
    if (m.type !== types.CONDITIONAL_VALIDATION) continue;
    const condition: unknown = m.constraints?.[0];
    if (typeof condition !== 'function') return undefined;
    conditions.push(condition as PropertyChecks['conditions'][number]);
  }
  // performValidations(): the isDefined metadatas first, then the custom ones.
  const ordered = [
    ...metadatas.filter((m) => m.type === types.IS_DEFINED),
    ...metadatas.filter((m) => m.type === types.CUSTOM_VALIDATION),
  ];
  const checks: Check[] = [];
  for (const m of ordered) {
    const validators: ValidatorConstraintInterface[] = [];
    for (const constraint of validator.getMetadataStorage().getTargetValidatorConstraints(m.constraintCls)) {
      if (constraint.async) return undefined;
      let instance: ValidatorConstraintInterface | undefined;
      try {
        instance = constraint.instance;
      } catch {
        return undefined;
      }
      if (!instance || typeof instance.validate !== 'function') return undefined;
      validators.push(instance);
    }
    const validateIf = m.validateIf as Check['validateIf'];
    if (validateIf !== undefined && (!honoursValidateIf || typeof validateIf !== 'function')) return undefined;
    checks.push({ property: m.propertyName, constraints: m.constraints, validateIf, validators });
  }
  return { name, conditions, checks };
}

function makeAcceptor(
  dto: Ctor,
  properties: readonly PropertyChecks[],
  allowed: ReadonlySet<string>,
  whitelist: Whitelist,
): Acceptor {
  // The executor reads `object.constructor.name`; the acceptor only runs when that constructor is `dto`.
  const targetName = dto.name;
  return (object) => {
    // The executor looks the metadatas up by `object.constructor`: any other one is not this plan's.
    if ((object as { constructor?: unknown }).constructor !== dto) return false;
    const record = object as Record<string, unknown>;
    try {
      return whitelisted(record, allowed, whitelist) && validates(record, properties, targetName);
    } catch {
      // validateSync throws the same way (a constraint that throws, a key that cannot be deleted): let it, on the slow path.
      return false;
    }
  };
}

/** ValidationExecutor.whitelist(): an own key without metadata is an error, or is deleted. */
function whitelisted(object: Record<string, unknown>, allowed: ReadonlySet<string>, whitelist: Whitelist): boolean {
  if (whitelist === Whitelist.Off) return true;
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (allowed.has(key)) continue;
    if (whitelist === Whitelist.Forbid || key in PROTO_PROBE) return false;
    delete object[key];
  }
  return true;
}

function validates(
  object: Record<string, unknown>,
  properties: readonly PropertyChecks[],
  targetName: string,
): boolean {
  for (let p = 0; p < properties.length; p++) {
    const { name, conditions, checks } = properties[p];
    const value = object[name];
    // conditionalValidations(): every condition is called, then reduced with && from true.
    let canValidate: unknown = true;
    for (let i = 0; i < conditions.length; i++) {
      const result = conditions[i](object, value);
      canValidate = canValidate && result;
    }
    if (!canValidate) continue;
    for (let c = 0; c < checks.length; c++) {
      const check = checks[c];
      if (check.validateIf && !check.validateIf(object, value)) continue;
      const validators = check.validators;
      for (let v = 0; v < validators.length; v++) {
        const args: ValidationArguments = {
          targetName,
          property: check.property,
          object,
          value,
          constraints: check.constraints,
        };
        if (validators[v].validate(value, args) !== true) return false;
      }
    }
  }
  return true;
}
