import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';

/** Node's CommonJS module cache: `require.cache`, when this code runs as CommonJS. */
type ModuleCache = Record<string, { exports?: unknown } | undefined>;

function commonJsCache(): ModuleCache | undefined {
  try {
    return typeof require === 'function' && typeof require.cache === 'object'
      ? (require.cache as ModuleCache)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds the source file of a controller class: the CommonJS module whose exports hold the class,
 * relative to `cwd`, with `/` separators. Compiled JavaScript with a source map beside it
 * (`x.js.map`) is mapped back to its TypeScript source. Returns null when unknown (ESM apps,
 * bundles, classes not exported). Never throws.
 *
 * @internal
 */
export function findControllerSource(
  cls: unknown,
  cwd: string = process.cwd(),
  cache: ModuleCache | undefined = commonJsCache(),
): string | null {
  if (!cache || typeof cls !== 'function') return null;
  for (const [file, mod] of Object.entries(cache)) {
    if (!mod || file.includes(`${sep}node_modules${sep}`)) continue;
    if (exportsClass(mod.exports, cls)) return relative(cwd, mappedSource(file)).split(sep).join('/');
  }
  return null;
}

function exportsClass(exported: unknown, cls: unknown): boolean {
  try {
    return exported === cls || (isObject(exported) && Object.values(exported).includes(cls));
  } catch {
    // A getter on this module's exports threw: not this one.
    return false;
  }
}

/** The TypeScript source a compiled file's source map names, else the file itself. */
function mappedSource(file: string): string {
  try {
    const map = `${file}.map`;
    if (!file.endsWith('.js') || !existsSync(map)) return file;
    const parsed = JSON.parse(readFileSync(map, 'utf8')) as { sources?: unknown; sourceRoot?: unknown };
    const first = Array.isArray(parsed.sources) ? parsed.sources[0] : undefined;
    if (typeof first !== 'string' || /^[a-z]+:/i.test(first)) return file;
    const root = typeof parsed.sourceRoot === 'string' ? parsed.sourceRoot : '';
    return resolve(dirname(file), root, first);
  } catch {
    return file;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
