import type { Ctor, DtoPlan } from './dto-plan.util';

/** What to do with a property the DTO does not declare. @internal */
export type WhitelistMode = 'forbid' | 'strip' | 'off';

/** What {@link checkWhitelist} found. @internal */
export interface WhitelistFindings {
  /**
   * Properties their DTO does not declare (`forbid` only): the dotted path (`lines.1.isAdmin`)
   * and the property's own name (`isAdmin`).
   */
  undeclared: Array<{ path: string; key: string }>;
  /**
   * `Owner.property` of a `@ValidateNested()` property whose value class-transformer left a plain
   * object (no `@Type()`): its fields would be checked against no class at all.
   */
  untyped: string[];
  /** Nested DTO classes whose own plan has problems (already logged when the plan was learned). */
  misconfigured: string[];
  /** A path nested deeper than `maxDepth` (only a custom transformation can build one). */
  tooDeep?: string;
}

interface Walk {
  readonly planOf: (ctor: Ctor) => DtoPlan;
  readonly mode: WhitelistMode;
  readonly maxDepth: number;
  readonly found: WhitelistFindings;
}

/**
 * The whitelist, checked by name in a `Set` at every level class-validator validates: the DTO
 * instance and, through each `@ValidateNested()` property, the nested instances (in arrays,
 * `Set`s and `Map`s too). class-validator's own whitelist looks names up on a plain object
 * (`{}[name]`), so a property named after an `Object.prototype` member (`hasOwnProperty`,
 * `isPrototypeOf`, `__defineGetter__`...) passes it; and class-transformer silently drops a key
 * that names a function or a getter of the instance (every `Object.prototype` member, the DTO's
 * methods), so class-validator never sees it. This check closes both:
 *
 * - an own key of an instance that its class does not declare is undeclared (`forbid`) or
 *   deleted (`strip`), whatever its name;
 * - a key of the plain input that the class does not declare and that names something the
 *   instance inherits (so class-transformer dropped it) is undeclared too (`forbid`), unless
 *   class-transformer maps it onto a declared property (`@Expose({ name })`, see
 *   `DtoPlan.aliases`). Other keys class-transformer renames or excludes (`@Exclude()`) are left
 *   to it, as is the plain side of a nested property it renames (only its instance is checked).
 *
 * Runs before class-validator, whose own whitelist then finds nothing more (or the same names).
 *
 * @internal
 */
export function checkWhitelist(
  plain: unknown,
  instance: object,
  planOf: (ctor: Ctor) => DtoPlan,
  mode: WhitelistMode,
  maxDepth: number,
): WhitelistFindings {
  const walk: Walk = { planOf, mode, maxDepth, found: { undeclared: [], untyped: [], misconfigured: [] } };
  visitInstance(walk, plain, instance, '', 1, '');
  return walk.found;
}

function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value of a `@ValidateNested()` property, walked the way class-validator's `nestedValidations` does. */
function visitValue(walk: Walk, plain: unknown, value: unknown, path: string, depth: number, site: string): void {
  if (value === null || typeof value !== 'object') return;
  if (depth > walk.maxDepth) {
    walk.found.tooDeep ??= path;
    return;
  }
  if (Array.isArray(value) || value instanceof Set) {
    const items: unknown[] = Array.isArray(value) ? value : Array.from(value);
    const plainItems = Array.isArray(plain) ? (plain as unknown[]) : undefined;
    for (let i = 0; i < items.length; i++) {
      visitValue(walk, plainItems?.[i], items[i], join(path, String(i)), depth + 1, site);
    }
  } else if (value instanceof Map) {
    for (const [key, item] of value) {
      const name = String(key);
      const source = isRecord(plain) && Object.hasOwn(plain, name) ? plain[name] : undefined;
      visitValue(walk, source, item, join(path, name), depth + 1, site);
    }
  } else {
    visitInstance(walk, plain, value, path, depth, site);
  }
}

function visitInstance(walk: Walk, plain: unknown, instance: object, path: string, depth: number, site: string): void {
  const proto: unknown = Object.getPrototypeOf(instance);
  // Not an object class-validator walks into (`instanceof Object` fails): it refuses it itself.
  if (proto === null) return;
  const ctor = (proto as { constructor?: unknown }).constructor;
  if (proto === Object.prototype || typeof ctor !== 'function') {
    walk.found.untyped.push(site);
    return;
  }
  const plan = walk.planOf(ctor as Ctor);
  if (plan.problems.length > 0) {
    walk.found.misconfigured.push(ctor.name);
    return;
  }
  const { declared } = plan;
  const record = instance as Record<string, unknown>;
  if (walk.mode !== 'off') {
    for (const key of Object.keys(record)) {
      if (declared.has(key)) continue;
      if (walk.mode === 'forbid') walk.found.undeclared.push({ path: join(path, key), key });
      else delete record[key];
    }
    if (walk.mode === 'forbid' && isRecord(plain) && plain !== instance) {
      for (const key of Object.keys(plain)) {
        if (declared.has(key) || plan.aliases.has(key) || Object.hasOwn(record, key)) continue;
        if (key in record || key === '__proto__') {
          walk.found.undeclared.push({ path: join(path, key), key });
        }
      }
    }
  }
  for (const property of plan.nested) {
    const source = isRecord(plain) && Object.hasOwn(plain, property) ? plain[property] : undefined;
    visitValue(walk, source, record[property], join(path, property), depth + 1, `${ctor.name}.${property}`);
  }
}
