import type { ValidatorOptions } from 'class-validator';
import type { ValidationPeers } from './class-validator.loader';
import { compileAcceptor, type Acceptor } from './compiled-validator.util';

/** A DTO class (any constructor). @internal */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ctor = abstract new (...args: any[]) => unknown;

/** What the pipe learned about one DTO class, once. @internal */
export interface DtoPlan {
  /** No class-transformer decorator anywhere on the class: copy own keys into `new Dto()`. */
  fast: boolean;
  /** Some constraint is async: `validate` instead of `validateSync`. */
  async: boolean;
  /** Properties that declare their own string length rule. */
  boundedStrings: ReadonlySet<string>;
  /** Properties that declare their own array size rule. */
  boundedArrays: ReadonlySet<string>;
  /**
   * Nested DTOs the validator would not check (see {@link nestedProblems}); non-empty means the
   * DTO is misconfigured and every request is refused rather than let undeclared fields through.
   */
  problems: readonly string[];
  /**
   * Accept-only fast path for synchronous validation (see {@link compileAcceptor}): `true` means
   * `validateSync` would find nothing, `false` means run it. Absent when the class uses something
   * it does not mirror (nested, `each`, groups, async…), or when `async` or `problems` is set.
   */
  accepts?: Acceptor;
}

const STRING_BOUNDS = new Set(['maxLength', 'isLength', 'length', 'isIn', 'isEnum', 'isUUID', 'isBoolean', 'equals']);
const ARRAY_BOUNDS = new Set(['arrayMaxSize']);
const PLAIN_TO_CLASS = 0;

/**
 * Reads class-validator's (and class-transformer's) metadata of `dto` once: whether the cheap
 * construction path is safe, whether validation must be async, which properties declare their
 * own bounds (the others get the default ones), and the accept-only validator for
 * `validateSync(instance, validatorOptions)`.
 *
 * @internal
 */
export function compileDtoPlan(dto: Ctor, peers: ValidationPeers, validatorOptions: ValidatorOptions): DtoPlan {
  const metadatas = peers.validator.getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  const boundedStrings = new Set<string>();
  const boundedArrays = new Set<string>();
  const properties = new Set<string>();
  let async = false;
  for (const m of metadatas) {
    properties.add(m.propertyName);
    const name = m.name ?? '';
    if (STRING_BOUNDS.has(name)) boundedStrings.add(m.propertyName);
    if (ARRAY_BOUNDS.has(name)) boundedArrays.add(m.propertyName);
    if (m.constraintCls) {
      for (const c of peers.validator.getMetadataStorage().getTargetValidatorConstraints(m.constraintCls)) {
        if (c.async) async = true;
      }
    }
  }
  const problems = nestedProblems(dto, peers, new Set());
  const accepts = async || problems.length > 0 ? undefined : compileAcceptor(dto, peers.validator, validatorOptions);
  return {
    fast: isTransformerFree(dto, properties, peers),
    async,
    boundedStrings,
    boundedArrays,
    problems,
    accepts,
  };
}

const NOT_NESTED = new Set<unknown>([
  Object,
  Array,
  String,
  Number,
  Boolean,
  Date,
  Buffer,
  Map,
  Set,
  Promise,
  Function,
]);

/** Whether `type` is a class with class-validator rules of its own (a nested DTO). */
function isValidatedClass(type: unknown, peers: ValidationPeers): type is Ctor {
  if (typeof type !== 'function' || NOT_NESTED.has(type)) return false;
  return peers.validator.getMetadataStorage().getTargetValidationMetadatas(type as Ctor, '', true, false).length > 0;
}

/**
 * Properties typed as a nested DTO that class-validator would not walk into, with the fix. A
 * property typed `AddressDto` with `@IsObject()` but no `@ValidateNested()` accepts
 * `{ address: { city, isAdmin: true } }` as is: whitelisting stops at the top level, so a nested
 * field the DTO never declared gets through (mass assignment). `@ValidateNested()` without
 * `@Type()` leaves a plain object that fails every request with an unhelpful message. Both are
 * found from `design:type`, so array properties (`AddressDto[]`) are only checked when they
 * declare `@Type()`.
 *
 * @internal
 */
export function nestedProblems(dto: Ctor, peers: ValidationPeers, seen: Set<Ctor>): string[] {
  if (seen.has(dto)) return [];
  seen.add(dto);
  const types = new Map<string, Set<string>>();
  for (const m of peers.validator.getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false)) {
    let set = types.get(m.propertyName);
    if (!set) types.set(m.propertyName, (set = new Set()));
    set.add(m.type);
  }
  const problems: string[] = [];
  for (const [property, kinds] of types) {
    const declared: unknown = Reflect.getMetadata('design:type', (dto as { prototype: object }).prototype, property);
    if (!isValidatedClass(declared, peers)) continue;
    const where = `${dto.name}.${property}`;
    const fix = `add @ValidateNested() and @Type(() => ${declared.name})`;
    if (!kinds.has('nestedValidation')) {
      problems.push(
        `${where} is a ${declared.name} without @ValidateNested(): its fields are not validated and undeclared ones are not refused; ${fix}`,
      );
    } else if (peers.transformerMetadata && !peers.transformerMetadata.findTypeMetadata(dto, property)) {
      problems.push(
        `${where} has @ValidateNested() but no @Type(): it stays a plain object and is never valid; ${fix}`,
      );
    } else {
      problems.push(...nestedProblems(declared, peers, seen));
    }
  }
  return problems;
}

function isTransformerFree(dto: Ctor, properties: Set<string>, peers: ValidationPeers): boolean {
  const storage = peers.transformerMetadata;
  if (!storage) return false;
  if (storage.getStrategy(dto) !== 'none') return false;
  if (storage.getExposedMetadatas(dto).length > 0 || storage.getExcludedMetadatas(dto).length > 0) return false;
  for (const property of properties) {
    if (storage.findTypeMetadata(dto, property)) return false;
    if (storage.findTransformMetadatas(dto, property, PLAIN_TO_CLASS).length > 0) return false;
  }
  return true;
}
