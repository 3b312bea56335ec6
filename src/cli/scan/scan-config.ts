import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** How the scanner obtains one identity's credentials. @internal */
export interface IdentityConfig {
  name: string;
  role?: string;
  /** Static headers (e.g. `Authorization: Bearer ...`). */
  headers?: Record<string, string>;
  login?: LoginConfig;
}

/** A login request whose JSON answer holds a token. @internal */
export interface LoginConfig {
  method: string;
  path: string;
  body: Record<string, unknown>;
  /** Dot path of the token in the JSON answer, e.g. `accessToken` or `data.token`. */
  token: string;
  header: string;
  prefix: string;
}

/** A known object owned by an identity. @internal */
export interface ObjectSeed {
  /** Path template the ids belong to, e.g. `/documents/{id}`. */
  path: string;
  owner: string;
  params: Record<string, string>;
}

/** The parsed `--config` file (scan.yaml). @internal */
export interface ScanConfig {
  file?: string;
  target?: string;
  openapi?: string;
  inventory?: string;
  identities: IdentityConfig[];
  victim?: string;
  attacker?: string;
  low?: string;
  high?: string;
  objects: ObjectSeed[];
  create: boolean;
  bodies: Record<string, unknown>;
  sensitiveFlows: string[];
  exclude: string[];
  login?: { path: string; method: string; usernameField: string; passwordField: string; username?: string };
  defaultCredentials: Array<{ username: string; password: string }>;
  limits: { budget?: number; concurrency?: number; rate?: number; timeoutMs?: number };
}

/** A configuration problem; the command prints it and exits 2. @internal */
export class ScanConfigError extends Error {
  override readonly name = 'ScanConfigError';
}

const TOP_KEYS = [
  'target',
  'openapi',
  'inventory',
  'identities',
  'victim',
  'attacker',
  'low',
  'high',
  'objects',
  'create',
  'bodies',
  'sensitiveFlows',
  'exclude',
  'login',
  'defaultCredentials',
  'limits',
];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(path: string, problem: string): never {
  throw new ScanConfigError(`scan config: ${path} ${problem}`);
}

function onlyKeys(value: Obj, allowed: string[], path: string): void {
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) fail(`${path}.${key}`, `is not a known option (expected one of ${allowed.join(', ')})`);
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') fail(path, 'must be a non-empty string');
  return value;
}

function optStr(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : str(value, path);
}

function strList(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(path, 'must be a list of strings');
  return value.map((v, i) => str(v, `${path}[${i}]`));
}

/** Replaces `${NAME}` with the environment variable; an unset one is a configuration error. */
function substitute(value: unknown, env: NodeJS.ProcessEnv, path: string): unknown {
  if (typeof value === 'string')
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const found = env[name];
      if (found === undefined) fail(path, `uses \${${name}}, which is not set in the environment`);
      return found;
    });
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, env, `${path}[${i}]`));
  if (isObj(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, env, `${path}.${k}`)]));
  return value;
}

function parseLogin(raw: unknown, path: string): LoginConfig {
  if (!isObj(raw)) fail(path, 'must be an object with path, body and token');
  onlyKeys(raw, ['method', 'path', 'body', 'token', 'header', 'prefix'], path);
  if (!isObj(raw.body)) fail(`${path}.body`, 'must be an object (the JSON login body)');
  return {
    method: (optStr(raw.method, `${path}.method`) ?? 'POST').toUpperCase(),
    path: str(raw.path, `${path}.path`),
    body: raw.body,
    token: str(raw.token, `${path}.token`),
    header: optStr(raw.header, `${path}.header`) ?? 'Authorization',
    prefix:
      raw.prefix === undefined
        ? 'Bearer '
        : typeof raw.prefix === 'string'
          ? raw.prefix
          : fail(`${path}.prefix`, 'must be a string'),
  };
}

function parseIdentities(raw: unknown): IdentityConfig[] {
  if (raw === undefined) return [];
  if (!isObj(raw)) fail('identities', 'must map identity names to { role, login | headers }');
  return Object.entries(raw).map(([name, value]) => {
    const path = `identities.${name}`;
    if (!isObj(value)) fail(path, 'must be an object');
    onlyKeys(value, ['role', 'headers', 'login'], path);
    if ((value.headers === undefined) === (value.login === undefined))
      fail(path, 'needs exactly one of headers or login');
    let headers: Record<string, string> | undefined;
    if (value.headers !== undefined) {
      if (!isObj(value.headers)) fail(`${path}.headers`, 'must map header names to values');
      headers = Object.fromEntries(Object.entries(value.headers).map(([k, v]) => [k, str(v, `${path}.headers.${k}`)]));
    }
    return {
      name,
      role: optStr(value.role, `${path}.role`),
      headers,
      login: value.login === undefined ? undefined : parseLogin(value.login, `${path}.login`),
    };
  });
}

function parseObjects(raw: unknown): ObjectSeed[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail('objects', 'must be a list of { path, owner, params }');
  return raw.map((item, i) => {
    const path = `objects[${i}]`;
    if (!isObj(item)) fail(path, 'must be an object');
    onlyKeys(item, ['path', 'owner', 'params'], path);
    if (!isObj(item.params)) fail(`${path}.params`, 'must map path parameters to ids');
    return {
      path: str(item.path, `${path}.path`),
      owner: str(item.owner, `${path}.owner`),
      params: Object.fromEntries(Object.entries(item.params).map(([k, v]) => [k, String(v)])),
    };
  });
}

function positiveInt(value: unknown, path: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    fail(path, 'must be a positive whole number');
  return value;
}

/**
 * Reads and validates a scan configuration file (YAML or JSON). `${NAME}` in any string is
 * replaced by the environment variable, so secrets stay out of the file.
 *
 * @internal
 */
export function loadScanConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ScanConfig {
  let raw: unknown = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ScanConfigError(`cannot read the config file ${file}: ${(error as Error).message}`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (error) {
      throw new ScanConfigError(`the config file ${file} is not valid YAML: ${(error as Error).message}`);
    }
  }
  if (!isObj(raw)) fail('(root)', 'must be a mapping');
  onlyKeys(raw, TOP_KEYS, 'scan config');
  const c = substitute(raw, env, 'scan config') as Obj;
  const identities = parseIdentities(c.identities);
  const names = new Set(identities.map((i) => i.name));
  for (const role of ['victim', 'attacker', 'low', 'high'] as const)
    if (c[role] !== undefined && !names.has(str(c[role], role)))
      fail(role, `names "${String(c[role])}", which is not under identities`);
  if (c.login !== undefined && !isObj(c.login)) fail('login', 'must be an object');
  const login = isObj(c.login) ? c.login : undefined;
  if (login) onlyKeys(login, ['path', 'method', 'usernameField', 'passwordField', 'username'], 'login');
  const limits = isObj(c.limits) ? c.limits : c.limits === undefined ? {} : fail('limits', 'must be an object');
  onlyKeys(limits, ['budget', 'concurrency', 'rate', 'timeoutMs'], 'limits');
  const creds = c.defaultCredentials === undefined ? [] : c.defaultCredentials;
  if (!Array.isArray(creds)) fail('defaultCredentials', 'must be a list of { username, password }');
  if (c.bodies !== undefined && !isObj(c.bodies)) fail('bodies', 'must map "METHOD /path" to a JSON body');
  if (c.create !== undefined && typeof c.create !== 'boolean') fail('create', 'must be true or false');
  return {
    file,
    target: optStr(c.target, 'target'),
    openapi: optStr(c.openapi, 'openapi'),
    inventory: optStr(c.inventory, 'inventory'),
    identities,
    victim: optStr(c.victim, 'victim'),
    attacker: optStr(c.attacker, 'attacker'),
    low: optStr(c.low, 'low'),
    high: optStr(c.high, 'high'),
    objects: parseObjects(c.objects),
    create: c.create !== false,
    bodies: (c.bodies as Obj | undefined) ?? {},
    sensitiveFlows: strList(c.sensitiveFlows, 'sensitiveFlows'),
    exclude: strList(c.exclude, 'exclude'),
    login: login && {
      path: str(login.path, 'login.path'),
      method: (optStr(login.method, 'login.method') ?? 'POST').toUpperCase(),
      usernameField: optStr(login.usernameField, 'login.usernameField') ?? 'username',
      passwordField: optStr(login.passwordField, 'login.passwordField') ?? 'password',
      username: optStr(login.username, 'login.username'),
    },
    defaultCredentials: creds.map((item, i) => {
      if (!isObj(item)) fail(`defaultCredentials[${i}]`, 'must be { username, password }');
      return {
        username: str(item.username, `defaultCredentials[${i}].username`),
        password: str(item.password, `defaultCredentials[${i}].password`),
      };
    }),
    limits: {
      budget: positiveInt(limits.budget, 'limits.budget'),
      concurrency: positiveInt(limits.concurrency, 'limits.concurrency'),
      rate: positiveInt(limits.rate, 'limits.rate'),
      timeoutMs: positiveInt(limits.timeoutMs, 'limits.timeoutMs'),
    },
  };
}
