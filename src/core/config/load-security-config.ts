import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SecurityConfigError } from '../errors/security-config.error';
import type { SecurityProfile } from '../options/core.options';
import type { SecurityModuleOptions } from '../options/security-options.interface';
import { resolveSecurityOptions } from '../options/resolve-options';
import { CONFIG_ALIASES } from './config-aliases';

/** Options of {@link loadSecurityConfig}. @publicApi */
export interface LoadSecurityConfigOptions {
  /**
   * Which section of the file to use.
   * @default process.env.NODE_ENV mapped to development | staging | production ('development' when unset)
   */
  profile?: SecurityProfile | string;
  /** Variables for `${NAME}` interpolation. @default process.env */
  env?: Record<string, string | undefined>;
}

const PROFILES = ['development', 'staging', 'production'];
/** Sections besides the profiles: `default` is merged under every profile. */
const SHARED_SECTION = 'default';

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

/** Replaces `${NAME}` (and `${NAME:-fallback}`) in every string; a missing variable is an error. */
function interpolate(value: unknown, env: Record<string, string | undefined>, file: string, path: string): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/.exec(value);
    const lookup = (name: string, fallback: string | undefined): string => {
      const v = env[name] ?? fallback;
      if (v === undefined) fail(file, path, `uses \${${name}} but the environment variable ${name} is not set`);
      return v;
    };
    // A value that is exactly one variable keeps the variable's type when it looks like a number/boolean.
    if (whole) return coerce(lookup(whole[1], whole[2]));
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) =>
      lookup(name, fallback),
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, file, `${path}[${i}]`));
  if (isTree(value)) {
    const out: Tree = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, file, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
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
function toOptions(tree: Tree, origin: Map<string, string>, filePath = '', optionPath = ''): Tree {
  const out: Tree = {};
  for (const [key, value] of Object.entries(tree)) {
    const fileKey = filePath ? `${filePath}.${key}` : key;
    const alias = CONFIG_ALIASES[fileKey];
    if (alias) {
      const target = alias.path;
      setPath(
        out,
        target.slice(optionPath ? optionPath.length + 1 : 0).split('.'),
        alias.convert ? alias.convert(value) : value,
      );
      // Option errors name array items as `keys[0]`: remember the alias under that spelling.
      origin.set(target.replace(/\.(\d+)(?=\.|$)/g, '[$1]'), fileKey);
      continue;
    }
    // Under a user-keyed map (role names, policy names...) the key is data: keep it as written.
    const name = isUserKeyed(optionPath) ? key : camel(key);
    const optPath = optionPath ? `${optionPath}.${name}` : name;
    origin.set(optPath, fileKey);
    const converted = isTree(value) ? toOptions(value, origin, fileKey, optPath) : value;
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
 * (and an optional `default` section merged under each), interpolates `${ENV_VAR}` (with
 * `${VAR:-fallback}`), maps snake_case keys to options, validates the result exactly as
 * `forRoot` would, and returns the options. Any problem throws a {@link SecurityConfigError} naming
 * the file, the key path and what is wrong.
 *
 * @example
 * ```ts
 * SecurityModule.forRootAsync({ useFactory: () => loadSecurityConfig('security.yaml', { profile: process.env.NODE_ENV }) })
 * ```
 * @publicApi
 */
export function loadSecurityConfig(file: string, options: LoadSecurityConfigOptions = {}): SecurityModuleOptions {
  const env = options.env ?? process.env;
  const profile = normalizeProfile(options.profile ?? env.NODE_ENV, file);
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
  if (!isTree(document)) fail(file, '', 'must contain a mapping with development / staging / production sections');
  for (const key of Object.keys(document)) {
    if (key !== SHARED_SECTION && !PROFILES.includes(key)) {
      fail(file, key, `is not a section: use ${SHARED_SECTION}, ${PROFILES.join(', ')}`);
    }
  }
  const shared = document[SHARED_SECTION] ?? {};
  const section = document[profile];
  if (section === undefined) fail(file, profile, 'section is missing');
  if (!isTree(shared)) fail(file, SHARED_SECTION, 'must be a mapping');
  if (!isTree(section)) fail(file, profile, 'must be a mapping');
  const merged = interpolate(deepMerge(shared, section), env, file, profile) as Tree;
  const origin = new Map<string, string>();
  const result = { profile, ...toOptions(merged, origin) } as SecurityModuleOptions;
  try {
    resolveSecurityOptions(result);
  } catch (error) {
    if (!(error instanceof SecurityConfigError)) throw error;
    throw new SecurityConfigError(rewrite(error.message, file, profile, origin));
  }
  return result;
}

function normalizeProfile(value: string | undefined, file: string): SecurityProfile {
  const v = (value ?? 'development').toLowerCase();
  const mapped =
    v === 'prod' ? 'production' : v === 'dev' || v === 'test' ? 'development' : v === 'stage' ? 'staging' : v;
  if (!PROFILES.includes(mapped)) fail(file, '', `profile "${value}" is not one of ${PROFILES.join(', ')}`);
  return mapped as SecurityProfile;
}

/** Turns `SecurityModule: rateLimit.windowMs must …` into `… config FILE: production.rate_limit.window_seconds must …`. */
function rewrite(message: string, file: string, profile: string, origin: Map<string, string>): string {
  const match = /^SecurityModule: (\S+) (.*)$/s.exec(message);
  if (!match) return `SecurityModule config ${file} (${profile}): ${message.replace(/^SecurityModule: /, '')}`;
  const [, optionPath, rest] = match;
  const bare = optionPath.replace(/\[\d+\]$/, '');
  const fileKey = origin.get(bare) ?? origin.get(bare.split('.').slice(0, -1).join('.')) ?? optionPath;
  const suffix = bare === optionPath ? '' : optionPath.slice(bare.length);
  return `SecurityModule config ${file}: ${profile}.${origin.has(bare) ? fileKey : optionPath}${suffix} (option ${optionPath}) ${rest}`;
}
