import { readFileSync } from 'node:fs';
import { dereference, validate, compileErrors } from '@readme/openapi-parser';
import { LineCounter, parse as parseYaml, parseDocument, isMap, isScalar, type Node } from 'yaml';
import type { ApiOperation, JsonSchema } from './scan.types';

type OpenApiInput = Parameters<typeof validate>[0];

/**
 * Path parameters used in a path but not declared (generated documents often miss those of
 * handlers that never read `@Param()`) are warnings, not errors: the scanner takes the names from
 * the path template anyway, and refusing the document would refuse the whole scan.
 */
const LENIENT = {
  validate: {
    rules: {
      openapi: {
        'path-parameters-not-in-parameters': 'warning' as const,
        'non-optional-path-parameters': 'warning' as const,
      },
      swagger: {
        'path-parameters-not-in-parameters': 'warning' as const,
        'non-optional-path-parameters': 'warning' as const,
      },
    },
  },
};

/** A malformed or unreadable OpenAPI document; the command prints it and exits 2. @internal */
export class SpecError extends Error {
  override readonly name = 'SpecError';
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Line (1-based) of `paths[path][method]` in the document text, from the YAML/JSON syntax tree. */
function operationLines(text: string): Map<string, number> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, keepSourceTokens: false });
  const lines = new Map<string, number>();
  const paths = doc.get('paths', true) as Node | undefined;
  if (!isMap(paths)) return lines;
  for (const pathPair of paths.items) {
    if (!isScalar(pathPair.key) || !isMap(pathPair.value)) continue;
    for (const opPair of pathPair.value.items) {
      if (!isScalar(opPair.key) || !opPair.key.range) continue;
      const method = String(opPair.key.value).toLowerCase();
      if (METHODS.includes(method))
        lines.set(`${method.toUpperCase()} ${String(pathPair.key.value)}`, counter.linePos(opPair.key.range[0]).line);
    }
  }
  return lines;
}

function jsonSchemaOf(content: unknown): JsonSchema | undefined {
  if (!isObj(content)) return undefined;
  const type = Object.keys(content).find((t) => /json/i.test(t)) ?? Object.keys(content)[0];
  const media = type ? content[type] : undefined;
  return isObj(media) && isObj(media.schema) ? (media.schema as JsonSchema) : undefined;
}

function securedBy(requirements: unknown): boolean | undefined {
  if (!Array.isArray(requirements)) return undefined;
  if (requirements.length === 0) return false;
  // `{}` in the list means "or no credentials at all".
  return !requirements.some((r) => isObj(r) && Object.keys(r).length === 0);
}

function basePath(api: Obj): string {
  if (typeof api.basePath === 'string') return api.basePath.replace(/\/$/, '');
  const servers = api.servers;
  if (Array.isArray(servers) && isObj(servers[0]) && typeof servers[0].url === 'string') {
    const url = servers[0].url;
    const path = url.startsWith('/')
      ? url
      : (() => {
          try {
            return new URL(url).pathname;
          } catch {
            return '';
          }
        })();
    return path.replace(/\/$/, '');
  }
  return '';
}

function toOperation(
  api: Obj,
  path: string,
  method: string,
  op: Obj,
  shared: unknown[],
  line: number | undefined,
  file: string | undefined,
): ApiOperation {
  const params = [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])].filter(isObj);
  const param = (where: string) =>
    params
      .filter((p) => p.in === where)
      .map((p) => ({
        name: String(p.name),
        required: p.required === true,
        schema: (isObj(p.schema) ? p.schema : { type: p.type, format: p.format, enum: p.enum }) as JsonSchema,
      }));
  const bodyParam = params.find((p) => p.in === 'body');
  const requestSchema = isObj(op.requestBody)
    ? jsonSchemaOf(op.requestBody.content)
    : bodyParam && isObj(bodyParam.schema)
      ? (bodyParam.schema as JsonSchema)
      : undefined;
  let responseSchema: JsonSchema | undefined;
  if (isObj(op.responses))
    for (const [status, response] of Object.entries(op.responses)) {
      if (!/^2/.test(status) || !isObj(response)) continue;
      responseSchema =
        jsonSchemaOf(response.content) ?? (isObj(response.schema) ? (response.schema as JsonSchema) : undefined);
      if (responseSchema) break;
    }
  const explicitPublic = op['x-rampart-public'];
  const ownership = op['x-rampart-ownership'];
  const fullPath = `${basePath(api)}${path}`;
  return {
    key: `${method.toUpperCase()} ${fullPath}`,
    method: method.toUpperCase(),
    path: fullPath,
    pathParams: [...fullPath.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
    queryParams: param('query'),
    headerParams: param('header'),
    requestSchema,
    responseSchema,
    secured:
      typeof explicitPublic === 'boolean' ? !explicitPublic : (securedBy(op.security) ?? securedBy(api.security)),
    roles: Array.isArray(op['x-rampart-roles']) ? op['x-rampart-roles'].map(String) : [],
    permissions: Array.isArray(op['x-rampart-permissions']) ? op['x-rampart-permissions'].map(String) : [],
    tags: Array.isArray(op.tags) ? op.tags.map(String) : [],
    deprecated: op.deprecated === true,
    idempotent: op['x-rampart-idempotent'] === true,
    signed: op['x-rampart-signed'] === true,
    ownershipParam: isObj(ownership) && typeof ownership.param === 'string' ? ownership.param : undefined,
    location: file ? { file, line: line ?? 1 } : undefined,
    origin: 'openapi',
  };
}

/**
 * Reads an OpenAPI 3.x or Swagger 2 document (file or URL), validates it and resolves every
 * `$ref` with @readme/openapi-parser, and lists its operations with the line each starts on.
 * `displayFile` is the repository-relative name used in reports and SARIF; undefined for a
 * document fetched from a URL (it is no repository file: locations then come from the inventory).
 *
 * @internal
 */
export async function loadOpenApi(source: string, displayFile: string | undefined): Promise<ApiOperation[]> {
  let text: string;
  try {
    if (/^https?:\/\//i.test(source)) {
      const res = await fetch(source, { signal: AbortSignal.timeout(15_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } else text = readFileSync(source, 'utf8');
  } catch (error) {
    throw new SpecError(`cannot read the OpenAPI document ${source}: ${(error as Error).message}`);
  }
  let api: Obj;
  try {
    // A file is parsed from its path (relative external $refs resolve); a document fetched from a
    // URL is parsed from the text already read (its internal $refs resolve).
    const input = (fromUrl: boolean) => (fromUrl ? (parseYaml(text) as OpenApiInput) : source);
    const isUrl = /^https?:\/\//i.test(source);
    const result = await validate(input(isUrl), LENIENT);
    if (!result.valid) throw new SpecError(`the OpenAPI document ${source} is invalid:\n${compileErrors(result)}`);
    api = (await dereference(input(isUrl))) as unknown as Obj;
  } catch (error) {
    if (error instanceof SpecError) throw error;
    throw new SpecError(`the OpenAPI document ${source} cannot be parsed: ${(error as Error).message}`);
  }
  const lines = operationLines(text);
  const operations: ApiOperation[] = [];
  for (const [path, item] of Object.entries(isObj(api.paths) ? api.paths : {})) {
    if (!isObj(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of METHODS)
      if (isObj(item[method]))
        operations.push(
          toOperation(
            api,
            path,
            method,
            item[method] as Obj,
            shared,
            lines.get(`${method.toUpperCase()} ${path}`),
            displayFile,
          ),
        );
  }
  return operations;
}
