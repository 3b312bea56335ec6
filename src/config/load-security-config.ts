import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Logger } from '@nestjs/common';
import { parse as parseYaml } from 'yaml';
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { SecurityProfile } from '../core/options/core.options';
import type { SecurityModuleOptions } from '../security.options';
import { resolveSecurityOptions } from '../security.options';
import { configAliasOf } from './config-aliases';

/** Options of {@link loadSecurityConfig}. @publicApi */
export interface LoadSecurityConfigOptions {
  /**
   * Which section of the file to use.
   * @default process.env.NODE_ENV mapped to development | staging | production ('development' when unset or empty)
   */
  profile?: SecurityProfile | string;
  /** Variables for `${NAME}` interpolation. @default process.env */
  env?: Record<string, string | undefined>;
  /**
   * Where the warnings about seed-format keys whose option means something different go.
   * @default new Logger('SecurityConfig') (Nest's logger)
   */
  logger?: Pick<Logger, 'warn'>;
}

const PROFILES = ['development', 'staging', 'production'];
/** Sections besides the profiles: `default` is merged under every profile. */
const SHARED_SECTION = 'default';
/**
 * Top-level keys that make a file sectioned (misspelt profile names too, so `prod:` is reported as
 * a wrong section rather than an unknown option). A file with none of them is flat: the seed's
 * layout, one set of options for every profile.
 */
const SECTION_LIKE = new Set([SHARED_SECTION, ...PROFILES, 'dev', 'develop', 'prod', 'stage', 'test']);

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(file: string, keyPath: string, problem: string): never {
  throw new SecurityConfigError(`SecurityModule config ${file}: ${keyPath ? `${keyPath} ` : ''}${problem}`);
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isTree(value) && isTree(out[key]) ? deepMerge(out[key] as Tree, value) : value;
  }
  return out;
}

/** A `${VAR}` value that looked like a number or boolean and was converted: where, and its text. */
interface Coerced {
  at: (string | number)[];
  text: string;
}

/**
 * Replaces `${NAME}` (and `${NAME:-fallback}`) in every string; a missing variable is an error.
 * A value that is exactly one variable and looks like a number or boolean is converted, and
 * recorded in `coerced` (by file key path) so it can be turned back into a string where the
 * option takes one (see `resolveTyped`).
 */
function interpolate(
  value: unknown,
  env: Record<string, string | undefined>,
  file: string,
  at: { label: string; keys: (string | number)[] },
  coerced: Map<string, Coerced>,
): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/.exec(value);
    const lookup = (name: string, fallback: string | undefined): string => {
      const v = env[name] ?? fallback;
      if (v === undefined) fail(file, at.label, `uses \${${name}} but the environment variable ${name} is not set`);
      return v;
    };
    if (whole) {
      const text = lookup(whole[1], whole[2]);
      const typed = coerce(text);
      if (typed !== text) coerced.set(fileKeyOf(at.keys), { at: at.keys, text });
      return typed;
    }
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) =>
      lookup(name, fallback),
    );
  }
  if (Array.isArray(value)) {
    return value.map((v, i) =>
      interpolate(v, env, file, { label: `${at.label}[${i}]`, keys: [...at.keys, i] }, coerced),
    );
  }
  if (isTree(value)) {
    const out: Tree = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = interpolate(v, env, file, { label: at.label ? `${at.label}.${k}` : k, keys: [...at.keys, k] }, coerced);
    }
    return out;
  }
  return value;
}

/** `a.b[0].c`: the same spelling as the file key paths recorded by `toOptions`. */
function fileKeyOf(keys: readonly (string | number)[]): string {
  return keys.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '');
}

function coerce(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

const camel = (key: string): string => key.replace(/[_-]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * Maps the file's snake_case keys to option names: first the documented aliases (e.g.
 * `rate_limit.window_seconds` → the rate limiter's window), then camelCase for everything else.
 * Remembers, for each option path, the file key path it came from, for error messages.
 */
function toOptions(
  tree: Tree,
  origin: Map<string, string>,
  differs: Map<string, string>,
  filePath = '',
  optionPath = '',
): Tree {
  const out: Tree = {};
  for (const [key, value] of Object.entries(tree)) {
    const fileKey = filePath ? `${filePath}.${key}` : key;
    const alias = configAliasOf(fileKey);
    if (alias) {
      const target = alias.path;
      const relative = target.slice(optionPath ? optionPath.length + 1 : 0).split('.');
      const note = alias.differs?.(value);
      if (note) differs.set(fileKey, note);
      // Option errors name array items as `keys[0]`: remember the alias under that spelling.
      origin.set(target.replace(/\.(\d+)(?=\.|$)/g, '[$1]'), fileKey);
      if (isTree(value) && !alias.convert) {
        // A section alias (`cors.production` → `cors.environments.production`): map what is inside.
        const mapped = toOptions(value, origin, differs, fileKey, target);
        const existing = getPath(out, relative);
        setPath(out, relative, isTree(existing) ? deepMerge(existing, mapped) : mapped);
      } else {
        setPath(out, relative, alias.convert ? alias.convert(value) : value);
      }
      continue;
    }
    // Under a user-keyed map (role names, policy names...) the key is data: keep it as written.
    const name = isUserKeyed(optionPath) ? key : camel(key);
    const optPath = optionPath ? `${optionPath}.${name}` : name;
    origin.set(optPath, fileKey);
    const converted = isTree(value) ? toOptions(value, origin, differs, fileKey, optPath) : value;
    out[name] = isTree(out[name]) && isTree(converted) ? deepMerge(out[name] as Tree, converted) : converted;
  }
  return out;
}

/**
 * Option maps whose keys are user data (role, policy, tier names), not option names: their keys
 * are kept as written, while the options inside each entry are still mapped.
 */
const USER_KEYED = [
  /^authorization\.(roles|policies|resources)$/,
  /^rateLimit\.(policies|tiers)$/,
  /^rateLimit\.tiers\.[^.]+$/,
  // Key ids and header names are data too.
  /^signing\.keys$/,
  /^headers\.custom$/,
];

function isUserKeyed(optionPath: string): boolean {
  return USER_KEYED.some((pattern) => pattern.test(optionPath));
}

function getPath(target: Tree, parts: readonly string[]): unknown {
  let node: unknown = target;
  for (const part of parts) node = isTree(node) || Array.isArray(node) ? (node as Tree)[part] : undefined;
  return node;
}

/** Sets `value` at `parts`, creating objects, or arrays where the next part is an index (`keys.0.alg`). */
function setPath(target: Tree, parts: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i];
    const wantArray = /^\d+$/.test(parts[i + 1]);
    const next = node[part];
    if (wantArray ? !Array.isArray(next) : !isTree(next)) node[part] = wantArray ? [] : {};
    // An array is written through its index keys like an object.
    node = node[part] as Tree;
  }
  node[parts[parts.length - 1]] = value;
}

/**
 * Reads a YAML or JSON security config with `development` / `staging` / `production` sections
 * (and an optional `default` section merged under each), or a flat file with no sections (one set
 * of options for every profile, the layout of the seed's `config.yaml`, whose CORS block per
 * environment, `cors.production.allowed_origins`, `allow_credentials`, `expose_headers`, `max_age`,
 * maps to `cors.environments`), interpolates `${ENV_VAR}` (with
 * `${VAR:-fallback}`), maps snake_case keys to options, validates the result exactly as
 * `forRoot` would, and returns the options. A value that is exactly one `${VAR}` becomes a number
 * or boolean when it looks like one and the option takes one; where the option takes a string
 * (a secret, a prefix) it stays the text. The profile is the caller's (or `NODE_ENV`, empty
 * meaning unset); a `profile` key in the file cannot change it. Any problem throws a {@link SecurityConfigError} naming
 * the file, the key path and what is wrong. In a flat file, a key whose option means something
 * different from the seed's is said once, as a warning on the Nest logger (see
 * docs/configuration-seed.md).
 *
 * @example
 * ```ts
 * SecurityModule.forRootAsync({ useFactory: () => loadSecurityConfig('security.yaml', { profile: process.env.NODE_ENV }) })
 * ```
 * @publicApi
 */
export function loadSecurityConfig(file: string, options: LoadSecurityConfigOptions = {}): SecurityModuleOptions {
  const env = options.env ?? process.env;
  // An empty NODE_ENV (or profile) is unset, as in most tooling: it means development.
  const profile = normalizeProfile(options.profile || env.NODE_ENV || undefined, file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    fail(file, '', `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let document: unknown;
  try {
    document = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    fail(
      file,
      '',
      `is not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  if (!isTree(document))
    fail(file, '', 'must contain a mapping of options, or development / staging / production sections');
  const flat = !Object.keys(document).some((key) => SECTION_LIKE.has(key));
  let chosen: Tree;
  if (flat) {
    chosen = document;
  } else {
    for (const key of Object.keys(document)) {
      if (key !== SHARED_SECTION && !PROFILES.includes(key)) {
        fail(
          file,
          key,
          `is not a section: use ${SHARED_SECTION}, ${PROFILES.join(', ')} (or no sections at all, for one set of options)`,
        );
      }
    }
    const shared = document[SHARED_SECTION] ?? {};
    const section = document[profile];
    if (section === undefined) fail(file, profile, 'section is missing');
    if (!isTree(shared)) fail(file, SHARED_SECTION, 'must be a mapping');
    if (!isTree(section)) fail(file, profile, 'must be a mapping');
    chosen = deepMerge(shared, section);
  }
  const where = flat ? '' : profile;
  const coerced = new Map<string, Coerced>();
  const merged = interpolate(chosen, env, file, { label: where, keys: [] }, coerced) as Tree;
  if (merged.profile !== undefined && merged.profile !== profile) {
    fail(
      file,
      where ? `${where}.profile` : 'profile',
      `is ${JSON.stringify(merged.profile)} but the profile asked for is "${profile}". ${flat ? 'The caller (or NODE_ENV) chooses the profile' : 'The section name chooses the profile'}: remove this key`,
    );
  }
  const differs = new Map<string, string>();
  const result = resolveTyped(merged, coerced, file, profile, where, differs);
  // Only the seed's flat layout is read with the seed's meanings in mind: say where ours differ.
  if (flat && differs.size > 0) {
    const logger = options.logger ?? new Logger('SecurityConfig');
    for (const [key, note] of differs) logger.warn(`SecurityModule config ${file}: ${key} ${note}.`);
  }
  return result;
}

/**
 * Maps and validates the options. A `${VAR}` converted to a number or boolean that the option
 * refuses (it takes a string: a secret "123456…", a key prefix "2024") is turned back into its
 * text and validation runs again; each value flips at most once, so this ends.
 */
function resolveTyped(
  merged: Tree,
  coerced: Map<string, Coerced>,
  file: string,
  profile: string,
  where: string,
  differs: Map<string, string>,
): SecurityModuleOptions {
  for (;;) {
    const origin = new Map<string, string>();
    differs.clear();
    // The caller's profile always wins (a file key cannot switch it: checked above).
    const result = { ...toOptions(merged, origin, differs), profile } as SecurityModuleOptions;
    try {
      resolveSecurityOptions(result);
      return result;
    } catch (error) {
      if (!(error instanceof SecurityConfigError)) throw error;
      const flipped = flipRefused(error.message, merged, coerced, origin);
      if (!flipped) throw new SecurityConfigError(rewrite(error.message, file, where, origin));
    }
  }
}

/** Turns back into text the converted values at or under the option the error names. */
function flipRefused(
  message: string,
  merged: Tree,
  coerced: Map<string, Coerced>,
  origin: Map<string, string>,
): boolean {
  const match = /^SecurityModule: (\S+) /.exec(message);
  if (!match || coerced.size === 0) return false;
  const bare = match[1].replace(/(\[\d+\])+$/, '');
  const base = origin.get(bare);
  if (base === undefined) return false;
  const fileKey = base + match[1].slice(bare.length);
  let flipped = false;
  for (const [key, value] of coerced) {
    if (key !== fileKey && !key.startsWith(`${fileKey}.`) && !key.startsWith(`${fileKey}[`)) continue;
    setAt(merged, value.at, value.text);
    coerced.delete(key);
    flipped = true;
  }
  return flipped;
}

function setAt(root: Tree, keys: readonly (string | number)[], value: unknown): void {
  let node: unknown = root;
  for (const key of keys.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  (node as Record<string | number, unknown>)[keys[keys.length - 1]] = value;
}

function normalizeProfile(value: string | undefined, file: string): SecurityProfile {
  const v = (value ?? 'development').toLowerCase();
  const mapped =
    v === 'prod' ? 'production' : v === 'dev' || v === 'test' ? 'development' : v === 'stage' ? 'staging' : v;
  if (!PROFILES.includes(mapped)) fail(file, '', `profile "${value}" is not one of ${PROFILES.join(', ')}`);
  return mapped as SecurityProfile;
}

/**
 * Turns `SecurityModule: rateLimit.windowMs must …` into `… config FILE: production.rate_limit.window_seconds must …`
 * (without the section in a flat file: `where` is '').
 */
function rewrite(message: string, file: string, where: string, origin: Map<string, string>): string {
  const match = /^SecurityModule: (\S+) (.*)$/s.exec(message);
  if (!match) {
    return `SecurityModule config ${file}${where ? ` (${where})` : ''}: ${message.replace(/^SecurityModule: /, '')}`;
  }
  const [, optionPath, rest] = match;
  const bare = optionPath.replace(/\[\d+\]$/, '');
  const fileKey = origin.get(bare) ?? origin.get(bare.split('.').slice(0, -1).join('.')) ?? optionPath;
  const suffix = bare === optionPath ? '' : optionPath.slice(bare.length);
  return `SecurityModule config ${file}: ${where ? `${where}.` : ''}${origin.has(bare) ? fileKey : optionPath}${suffix} (option ${optionPath}) ${rest}`;
}
