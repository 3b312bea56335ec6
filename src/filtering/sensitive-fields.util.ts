import { StreamableFile } from '@nestjs/common';
import { normalizeFieldName } from './response-filtering.options';

/** Thrown when a response nests deeper than `maxDepth` (or is cyclic). @internal */
export class ResponseTooDeepError extends Error {
  constructor() {
    super('response nests deeper than responseFiltering.maxDepth');
    this.name = this.constructor.name;
  }
}

const DECISION_CACHE_LIMIT = 10_000;

function isOpaque(value: object): boolean {
  return (
    value instanceof Date ||
    value instanceof StreamableFile ||
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof Map ||
    value instanceof Set ||
    value instanceof RegExp ||
    typeof (value as { pipe?: unknown }).pipe === 'function'
  );
}

function copyPrefix(source: Record<string, unknown>, keys: string[], end: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < end; i++) assign(out, keys[i], source[keys[i]]);
  return out;
}

function assign(target: Record<string, unknown>, key: string, value: unknown): void {
  // A JSON-parsed "__proto__" key must stay data, not become the copy's prototype.
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true });
  else target[key] = value;
}

/**
 * Removes denylisted fields at any depth. Copy-on-write: a response with nothing to strip is
 * returned as is (no allocation), and only the branches that change are copied. Each distinct
 * key spelling is normalised once and its verdict cached. Buffers, streams, dates, maps and sets
 * are left alone; objects with `toJSON()` (ORM documents) are filtered through it.
 *
 * @internal
 */
export class SensitiveFieldStripper {
  private readonly verdicts = new Map<string, boolean>();

  constructor(
    private readonly denied: ReadonlySet<string>,
    private readonly maxDepth: number,
  ) {}

  /** Whether nothing can ever be stripped (empty denylist). */
  get inert(): boolean {
    return this.denied.size === 0;
  }

  /** Whether `key` is denylisted. */
  isDenied(key: string): boolean {
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      verdict = this.denied.has(normalizeFieldName(key));
      if (this.verdicts.size < DECISION_CACHE_LIMIT) this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  /** `value` without denylisted fields (the same reference when nothing was removed). */
  strip(value: unknown, depth = 0): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (depth > this.maxDepth) throw new ResponseTooDeepError();
    if (Array.isArray(value)) return this.stripArray(value, depth);
    if (isOpaque(value)) return value;
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(value);
      if (json === value) return this.stripObject(value as Record<string, unknown>, depth);
      const stripped = this.strip(json, depth + 1);
      return stripped === json ? value : stripped;
    }
    return this.stripObject(value as Record<string, unknown>, depth);
  }

  private stripArray(value: unknown[], depth: number): unknown[] {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const next = this.strip(item, depth + 1);
      if (next !== item && !out) out = value.slice();
      if (out) out[i] = next;
    }
    return out ?? value;
  }

  private stripObject(value: Record<string, unknown>, depth: number): Record<string, unknown> {
    const keys = Object.keys(value);
    let out: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (this.isDenied(key)) {
        out ??= copyPrefix(value, keys, i);
        continue;
      }
      const child = value[key];
      const next = this.strip(child, depth + 1);
      if (out) assign(out, key, next);
      else if (next !== child) {
        out = copyPrefix(value, keys, i);
        assign(out, key, next);
      }
    }
    return out ?? value;
  }
}
