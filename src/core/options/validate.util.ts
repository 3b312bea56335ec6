import { SecurityConfigError } from '../errors/security-config.error';

/**
 * Small, dependency-free option readers used by every `resolve*Options` function. Each one
 * validates a single value at boot and throws a {@link SecurityConfigError} that names the option
 * path and says how to fix it. They are exported for feature resolvers, not for users.
 *
 * @internal
 */
export type Raw = Record<string, unknown>;

/**
 * Checks at compile time that `keys` names every option of `T` and nothing else, so a key list
 * used for unknown-key refusal and "did you mean" hints cannot drift from the option type.
 *
 * @example const GRAPHQL_KEYS = optionKeys<GraphqlOptions>()(['enabled', 'maxDepth']);
 */
export function optionKeys<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missingKeys: Exclude<keyof T, K[number]> }),
  ): K => keys;
}

/** Levenshtein distance, used for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** The closest allowed name to `name`, if it is close enough to be a typo. */
export function closest(name: string, allowed: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  // An abbreviation ("prod", "rate") or a longer spelling ("rateLimits") is the likeliest intent,
  // ahead of any small edit distance: first the shortest name the typo abbreviates, then the
  // longest name the typo extends ("authorizations" → authorization, not auth).
  if (lower.length >= 3) {
    const byLength = [...allowed].sort((a, b) => a.length - b.length);
    const abbreviated = byLength.find((a) => a.toLowerCase().startsWith(lower));
    if (abbreviated) return abbreviated;
    const extended = byLength.reverse().find((a) => lower.startsWith(a.toLowerCase()));
    if (extended) return extended;
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string`;
  return `${typeof value === 'object' ? 'an' : 'a'} ${typeof value}`;
}

/** A plain object (or undefined → `{}`); refuses arrays, primitives and class instances. */
export function readSection(value: unknown, path: string): Raw {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw SecurityConfigError.create(
      path || 'options',
      `must be an object, got ${describe(value)}`,
      'Pass an object literal',
    );
  }
  return value as Raw;
}

/** Refuses keys not in `allowed`, with a "did you mean" hint. */
export function refuseUnknownKeys(raw: Raw, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(raw)) {
    if (allowed.includes(key)) continue;
    const hint = closest(key, allowed);
    throw SecurityConfigError.create(
      join(path, key),
      'is not a known option',
      hint ? `Did you mean "${join(path, hint)}"?` : `Known options here: ${allowed.join(', ')}`,
    );
  }
}

/** Reads a section and refuses unknown keys in one go. */
export function readStrictSection(value: unknown, allowed: readonly string[], path: string): Raw {
  const raw = readSection(value, path);
  refuseUnknownKeys(raw, allowed, path);
  return raw;
}

export function readBoolean(raw: Raw, key: string, path: string, fallback: boolean): boolean {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw SecurityConfigError.create(join(path, key), `must be true or false, got ${describe(value)}`, 'Use a boolean');
  }
  return value;
}

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  /** Unit shown in messages, e.g. "seconds". */
  unit?: string;
}

export function readNumber(raw: Raw, key: string, path: string, fallback: number, rule: NumberRule = {}): number {
  const value = raw[key];
  if (value === undefined) return fallback;
  const where = join(path, key);
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw SecurityConfigError.create(where, `must be a finite number, got ${describe(value)}`, 'Use a number');
  }
  if (rule.integer && !Number.isInteger(value)) {
    throw SecurityConfigError.create(where, `must be a whole number, got ${value}`, 'Round it');
  }
  const unit = rule.unit ? ` ${rule.unit}` : '';
  if (rule.min !== undefined && value < rule.min) {
    throw SecurityConfigError.create(
      where,
      `must be at least ${rule.min}${unit}, got ${value}`,
      `Raise it to ${rule.min} or more`,
    );
  }
  if (rule.max !== undefined && value > rule.max) {
    throw SecurityConfigError.create(
      where,
      `must be at most ${rule.max}${unit}, got ${value}`,
      `Lower it to ${rule.max} or less`,
    );
  }
  return value;
}

export function readString(raw: Raw, key: string, path: string, fallback: string): string;
export function readString(raw: Raw, key: string, path: string, fallback?: undefined): string | undefined;
export function readString(raw: Raw, key: string, path: string, fallback?: string): string | undefined {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) {
    throw SecurityConfigError.create(
      join(path, key),
      `must be a non-empty string, got ${describe(value)}`,
      'Use a string',
    );
  }
  return value;
}

export function readEnum<T extends string>(raw: Raw, key: string, path: string, allowed: readonly T[], fallback: T): T {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const hint = typeof value === 'string' ? closest(value, allowed) : undefined;
    throw SecurityConfigError.create(
      join(path, key),
      `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${typeof value === 'string' ? `"${value}"` : describe(value)}`,
      hint ? `Did you mean "${hint}"?` : 'Pick one of the listed values',
    );
  }
  return value as T;
}

export function readStringArray(raw: Raw, key: string, path: string, fallback: readonly string[]): string[] {
  const value = raw[key];
  if (value === undefined) return [...fallback];
  const where = join(path, key);
  if (!Array.isArray(value)) {
    throw SecurityConfigError.create(
      where,
      `must be an array of strings, got ${describe(value)}`,
      'Use an array, e.g. ["a", "b"]',
    );
  }
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item.length === 0) {
      throw SecurityConfigError.create(
        `${where}[${i}]`,
        `must be a non-empty string, got ${describe(item)}`,
        'Remove it or make it a string',
      );
    }
  });
  return [...(value as string[])];
}

export function readFunction<F extends (...args: never[]) => unknown>(
  raw: Raw,
  key: string,
  path: string,
): F | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw SecurityConfigError.create(join(path, key), `must be a function, got ${describe(value)}`, 'Pass a function');
  }
  return value as F;
}

/** Deep-freezes plain objects and arrays (not class instances, functions, Maps or key objects). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null || Array.isArray(value)) {
      Object.freeze(value);
      for (const child of Object.values(value as object)) deepFreeze(child);
    }
  }
  return value;
}
