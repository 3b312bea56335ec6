import type { ValidatorOptions } from 'class-validator';
import type { ValidationPeers } from './class-validator.loader';

/** A DTO class (any constructor). @internal */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ctor = abstract new (...args: any[]) => unknown;

/** What the pipe learned about one DTO class, once. @internal */
export interface DtoPlan {
  /** Some constraint is async: `validate` instead of `validateSync`. */
  async: boolean;
  /** Properties that declare their own string length rule. */
  boundedStrings: ReadonlySet<string>;
  /** Properties that declare their own array size rule. */
  boundedArrays: ReadonlySet<string>;
  /**
   * Every property that has class-validator metadata, as class-validator's executor looks them up
   * for `validateSync(instance, validatorOptions)`: the whitelist. A `Set`, so a name found on
   * `Object.prototype` (`hasOwnProperty`, `constructor`, `__proto__`...) is declared only when
   * the DTO declares it.
   */
  declared: ReadonlySet<string>;
  /** Properties with `@ValidateNested()`: class-validator walks into their values. */
  nested: readonly string[];
  /**
   * Undeclared names the instance inherits (`hasOwnProperty`, a method of the DTO...) that
   * class-transformer maps onto a declared property (`@Expose({ name: 'hasOwnProperty' })`): as
   * input keys they are accepted, not refused. Found once, by trying each name.
   */
  aliases: ReadonlySet<string>;
  /**
   * What class-validator could not check safely (see {@link nestedProblems}); non-empty means the
   * DTO is misconfigured and every request is refused rather than let undeclared fields through.
   */
  problems: readonly string[];
}

const STRING_BOUNDS = new Set(['maxLength', 'isLength', 'length', 'isIn', 'isEnum', 'isUUID', 'isBoolean', 'equals']);
const ARRAY_BOUNDS = new Set(['arrayMaxSize']);

/**
 * Reads class-validator's metadata of `dto` once: whether validation must be async, which
 * properties declare their own bounds (the others get the default ones), which properties are
 * declared at all (the whitelist), which ones are nested DTOs, and what is misconfigured.
 *
 * @internal
 */
export function compileDtoPlan(dto: Ctor, peers: ValidationPeers, validatorOptions: ValidatorOptions): DtoPlan {
  const storage = peers.validator.getMetadataStorage();
  // The arguments class-validator's executor passes for `validateSync(instance, validatorOptions)`.
  const metadatas = storage.getTargetValidationMetadatas(
    dto,
    undefined as unknown as string,
    validatorOptions.always ?? false,
    validatorOptions.strictGroups ?? false,
    validatorOptions.groups,
  );
  const boundedStrings = new Set<string>();
  const boundedArrays = new Set<string>();
  const declared = new Set<string>();
  const nested = new Set<string>();
  let async = false;
  for (const m of metadatas) {
    declared.add(m.propertyName);
    if (m.type === peers.validator.ValidationTypes.NESTED_VALIDATION) nested.add(m.propertyName);
    const name = m.name ?? '';
    if (STRING_BOUNDS.has(name)) boundedStrings.add(m.propertyName);
    if (ARRAY_BOUNDS.has(name)) boundedArrays.add(m.propertyName);
    if (m.constraintCls) {
      for (const c of storage.getTargetValidatorConstraints(m.constraintCls)) {
        if (c.async) async = true;
      }
    }
  }
  const problems = nestedProblems(dto, peers, new Set());
  return {
    async,
    boundedStrings,
    boundedArrays,
    declared,
    nested: [...nested],
    aliases: problems.length > 0 ? new Set() : findAliases(dto, declared, peers),
    problems,
  };
}

/** Every name on the prototype chain of `dto`'s instances (methods, accessors, `Object.prototype` members). */
function inheritedByInstances(dto: Ctor): Set<string> {
  const names = new Set<string>();
  for (let proto: unknown = dto.prototype; proto !== null; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) names.add(name);
  }
  return names;
}

/**
 * The inherited names that class-transformer maps onto a declared property: for each, turns
 * `{ [name]: marker }` into an instance and looks for the marker's effect on a declared property
 * (compared with an instance built from `{}`; properties whose initial value changes from one
 * instance to the next are ignored). Any doubt (a constructor or transformation that throws)
 * means "not an alias", so the key is refused.
 */
function findAliases(dto: Ctor, declared: ReadonlySet<string>, peers: ValidationPeers): Set<string> {
  const aliases = new Set<string>();
  const build = (plain: object) =>
    peers.transformer.plainToInstance(dto as new () => object, plain) as Record<string, unknown>;
  let baseline: Record<string, unknown>;
  const stable = new Set<string>();
  try {
    baseline = build({});
    const again = build({});
    for (const property of declared) if (Object.is(baseline[property], again[property])) stable.add(property);
  } catch {
    return aliases;
  }
  for (const name of inheritedByInstances(dto)) {
    // class-transformer never copies these two; the payload inspector refuses them by default anyway.
    if (declared.has(name) || name === '__proto__' || name === 'constructor') continue;
    try {
      const probe = build({ [name]: `rampart:probe:${name}` });
      for (const property of stable) {
        if (Object.hasOwn(probe, property) && !Object.is(probe[property], baseline[property])) {
          aliases.add(name);
          break;
        }
      }
    } catch {
      // Not an alias: the key is refused.
    }
  }
  return aliases;
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
 * What makes `dto` or the nested DTOs it declares impossible to validate safely, with the fix.
 * A property named after an `Object.prototype` member: class-validator cannot validate it. A
 * property typed `AddressDto` with `@IsObject()` but no `@ValidateNested()`: it accepts
 * `{ address: { city, isAdmin: true } }` as is, since whitelisting stops at the top level, so a
 * nested field the DTO never declared gets through (mass assignment); found from `design:type`,
 * so array properties (`AddressDto[]`) are checked when their elements are met (see
 * `checkWhitelist`), as is `@ValidateNested()` without `@Type()` (class-transformer's metadata is
 * not public).
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
    // class-validator groups metadata by name in a plain object: validateSync throws a TypeError on such a DTO.
    if (property in Object.prototype) {
      problems.push(
        `${dto.name}.${property} is named after an Object.prototype member, which class-validator cannot validate; rename the property and keep the JSON name with @Expose({ name: '${property}' })`,
      );
      continue;
    }
    const declared: unknown = Reflect.getMetadata('design:type', (dto as { prototype: object }).prototype, property);
    if (!isValidatedClass(declared, peers)) continue;
    if (!kinds.has(peers.validator.ValidationTypes.NESTED_VALIDATION)) {
      problems.push(
        `${dto.name}.${property} is a ${declared.name} without @ValidateNested(): its fields are not validated and undeclared ones are not refused; add @ValidateNested() and @Type(() => ${declared.name})`,
      );
    } else {
      problems.push(...nestedProblems(declared, peers, seen));
    }
  }
  return problems;
}
