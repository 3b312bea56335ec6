/** Why a payload was refused before any DTO saw it. @internal */
export type PayloadProblemReason = 'max_depth' | 'forbidden_key' | 'null_byte' | 'non_finite_number';

/** The first structural problem found in a payload. @internal */
export interface PayloadProblem {
  reason: PayloadProblemReason;
  /** Dotted path of the offending value (`''` for the payload itself). */
  path: string;
}

/** Limits the inspector enforces, compiled once from the options. @internal */
export interface PayloadLimits {
  maxDepth: number;
  forbiddenKeys: ReadonlySet<string>;
}

/** A problem found while descending; the path is collected while unwinding, so success allocates nothing. */
interface Found {
  reason: PayloadProblemReason;
  segments: string[];
}

function visit(value: unknown, depth: number, limits: PayloadLimits): Found | undefined {
  if (typeof value === 'string') {
    return value.indexOf('\u0000') === -1 ? undefined : { reason: 'null_byte', segments: [] };
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : { reason: 'non_finite_number', segments: [] };
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > limits.maxDepth) return { reason: 'max_depth', segments: [] };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = visit(value[i], depth + 1, limits);
      if (found) {
        found.segments.push(String(i));
        return found;
      }
    }
    return undefined;
  }
  // Buffers, Dates, streams (multipart files...) are not JSON: nothing to inspect inside.
  if (!isPlainRecord(value)) return undefined;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (limits.forbiddenKeys.has(key) || key.indexOf('\u0000') !== -1) {
      return { reason: key.indexOf('\u0000') === -1 ? 'forbidden_key' : 'null_byte', segments: [key] };
    }
    const found = visit((value as Record<string, unknown>)[key], depth + 1, limits);
    if (found) {
      found.segments.push(key);
      return found;
    }
  }
  return undefined;
}

/**
 * Whether `value` is a parsed record: its prototype is `Object.prototype`, `null`, or an empty
 * object whose own prototype is `null` (the query objects of Fastify's parser, fast-querystring).
 */
function isPlainRecord(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return true;
  return Object.getPrototypeOf(proto) === null && Reflect.ownKeys(proto as object).length === 0;
}

/**
 * Walks a parsed JSON body, query or param once and reports the first value that must never
 * reach a DTO: nesting deeper than `maxDepth`, a prototype-pollution key (`__proto__`,
 * `constructor`, `prototype`), a NUL byte in a string or key, or a non-finite number (`1e999`
 * parses to Infinity). Recursion stops at `maxDepth`, so hostile nesting cannot blow the stack.
 *
 * @internal
 */
export function inspectPayload(value: unknown, limits: PayloadLimits): PayloadProblem | undefined {
  const found = visit(value, 1, limits);
  if (!found) return undefined;
  return { reason: found.reason, path: found.segments.reverse().join('.') };
}
