import type { INestApplicationContext } from '@nestjs/common';
import type { ResolvedSecurityOptions } from '../../security.options';
import { SECURITY_OPTIONS } from '../../core/security.constants';
import { SecurityInventory, type InventoryRecord } from '../security-inventory.service';
import { errorResponsesOf } from './error-responses.util';
import {
  RAMPART_ERROR_SCHEMA,
  RAMPART_SECURITY_SCHEMES,
  type OpenApiDocument,
  type OpenApiOperation,
} from './openapi.types';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'search', 'query'];
/** The headers of a signed request besides X-Signature (which the security scheme names). */
const SIGNATURE_HEADERS: ReadonlyArray<[string, string]> = [
  ['X-Timestamp', 'Unix time of signing, in seconds.'],
  ['X-Key-Id', 'Id of the shared key that signed the request.'],
  ['X-Nonce', 'Random value, used once.'],
];

/**
 * Enriches the document `SwaggerModule.createDocument(app, config)` returns with what the
 * security pipeline enforces on each operation, from the route inventory:
 *
 * - `components.securitySchemes`: `rampart-jwt` (bearer JWT), `rampart-api-key` (API-key
 *   header), `rampart-signature` (HMAC request signature), each only when some route uses it;
 * - per operation, `security` as enforced (`[]` for `@Public()`; one alternative per accepted
 *   authentication method, each with the signature when the route is signed), replacing any
 *   declared by hand;
 * - the error responses the operation can really answer (400, 401, 403, 404 for ownership,
 *   409/422 for idempotency, 410 after a sunset, 413/415, 429 with `Retry-After` and the
 *   rate-limit headers, 503) with the error body schema (`components.schemas.RampartError`),
 *   leaving responses the document already declares untouched;
 * - the `Idempotency-Key` header parameter where idempotency applies, the signing headers on
 *   signed routes, `deprecated: true` on `@Deprecated()` routes;
 * - `x-rampart-public`, `x-rampart-roles`, `x-rampart-permissions`, `x-rampart-scopes`,
 *   `x-rampart-ownership`, `x-rampart-policies`, `x-rampart-rate-limits`, `x-rampart-idempotent`
 *   and `x-rampart-signed` extensions (what `rampart scan` reads).
 *
 * Operations are matched to routes by method and path (both include the global prefix and the
 * URI version). Returns a new document; the one given is not changed.
 *
 * @example
 * ```ts
 * const document = enrichOpenApiDocument(app, SwaggerModule.createDocument(app, config));
 * SwaggerModule.setup('docs', app, document);
 * ```
 * @publicApi
 */
export function enrichOpenApiDocument<T extends OpenApiDocument>(app: INestApplicationContext, document: T): T {
  const inventory = app.get(SecurityInventory, { strict: false });
  const options = app.get<string, ResolvedSecurityOptions>(SECURITY_OPTIONS, { strict: false });
  return enrichDocument(document, inventory.records(), options);
}

/** {@link enrichOpenApiDocument} without the application: for tests and tools. @internal */
export function enrichDocument<T extends OpenApiDocument>(
  source: T,
  records: readonly InventoryRecord[],
  options: ResolvedSecurityOptions,
): T {
  const document = structuredClone(source);
  const used = new Set<string>();
  for (const [path, item] of Object.entries(document.paths ?? {}) as Array<[string, Record<string, unknown>]>) {
    if (!item || typeof item !== 'object') continue;
    for (const method of HTTP_METHODS) {
      const operation = item[method] as OpenApiOperation | undefined;
      if (!operation || typeof operation !== 'object') continue;
      const record = findRecord(records, method.toUpperCase(), path);
      if (!record) continue;
      enrichOperation(operation, record, options, used);
    }
    for (const method of HTTP_METHODS) {
      const operation = item[method] as OpenApiOperation | undefined;
      if (operation && typeof operation === 'object') declarePathParameters(path, item, operation);
    }
  }
  addComponents(document, options, used);
  return document;
}

/**
 * Declares the path's `{name}` parameters an operation leaves undeclared (a handler that reads its
 * id through a loader rather than `@Param()` gives Swagger nothing to document): OpenAPI requires
 * every templated segment to be a declared, required path parameter.
 */
function declarePathParameters(path: string, item: Record<string, unknown>, operation: OpenApiOperation): void {
  const shared = Array.isArray(item.parameters) ? (item.parameters as Array<{ in?: unknown; name?: unknown }>) : [];
  const parameters = operation.parameters ?? [];
  for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
    const declared = (p: { in?: unknown; name?: unknown }) => p.in === 'path' && p.name === name;
    if (parameters.some(declared) || shared.some(declared)) continue;
    parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
  }
  if (parameters.length > 0) operation.parameters = parameters;
}

/** `/documents/:id` → `/documents/{id}` (optional and regex suffixes dropped). */
function template(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?\??/g, '{$1}');
}

/** The route of an operation: same method (or `@All()`), the longest route path the document path ends with. */
function findRecord(records: readonly InventoryRecord[], method: string, path: string): InventoryRecord | undefined {
  let best: InventoryRecord | undefined;
  let bestLength = -1;
  for (const record of records) {
    const { entry } = record;
    if (entry.kind !== 'http' || (entry.method !== method && entry.method !== 'ALL')) continue;
    const route = template(entry.path);
    const matches = route === '/' ? path === '/' : path === route || path.endsWith(route);
    if (matches && route.length > bestLength) {
      best = record;
      bestLength = route.length;
    }
  }
  return best;
}

function enrichOperation(
  operation: OpenApiOperation,
  record: InventoryRecord,
  options: ResolvedSecurityOptions,
  used: Set<string>,
): void {
  const { entry } = record;
  operation.security = securityOf(entry, used);
  if (entry.deprecated) operation.deprecated = true;
  const parameters = operation.parameters ?? [];
  const has = (name: string) =>
    parameters.some((p) => p.in === 'header' && String(p.name).toLowerCase() === name.toLowerCase());
  if (entry.idempotent && !has(options.idempotency.header)) {
    parameters.push({
      name: headerName(options.idempotency.header),
      in: 'header',
      required: record.facts.idempotencyKeyRequired,
      description: 'Unique key of this operation: a retry with the same key and payload replays the first response.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
  }
  if (entry.signed) {
    for (const [name, description] of SIGNATURE_HEADERS) {
      if (!has(name)) parameters.push({ name, in: 'header', required: true, description, schema: { type: 'string' } });
    }
  }
  if (parameters.length > 0) operation.parameters = parameters;
  const responses = operation.responses ?? {};
  const media = options.errors.format === 'problem+json' ? 'application/problem+json' : 'application/json';
  for (const error of errorResponsesOf(record, options)) {
    const status = String(error.status);
    if (responses[status] !== undefined) continue;
    responses[status] = {
      description: error.description,
      ...(error.headers ? { headers: error.headers } : {}),
      content: { [media]: { schema: { $ref: `#/components/schemas/${RAMPART_ERROR_SCHEMA}` } } },
    };
    used.add(RAMPART_ERROR_SCHEMA);
  }
  operation.responses = responses;
  operation['x-rampart-public'] = entry.public;
  operation['x-rampart-roles'] = [...entry.roles];
  operation['x-rampart-permissions'] = [...entry.permissions];
  operation['x-rampart-scopes'] = [...entry.scopes];
  if (entry.ownership) operation['x-rampart-ownership'] = { ...entry.ownership };
  else delete operation['x-rampart-ownership'];
  operation['x-rampart-policies'] = [...entry.policies];
  operation['x-rampart-rate-limits'] = entry.rateLimits.map((l) => ({ ...l }));
  operation['x-rampart-idempotent'] = entry.idempotent;
  operation['x-rampart-signed'] = entry.signed;
}

function securityOf(entry: InventoryRecord['entry'], used: Set<string>): Array<Record<string, string[]>> {
  const signature: Record<string, string[]> = entry.signed ? { [RAMPART_SECURITY_SCHEMES.signature]: [] } : {};
  if (entry.signed) used.add(RAMPART_SECURITY_SCHEMES.signature);
  const methods = entry.public ? [] : entry.authentication;
  const alternatives = methods.map((method) => {
    const scheme = method === 'api-key' ? RAMPART_SECURITY_SCHEMES.apiKey : RAMPART_SECURITY_SCHEMES.jwt;
    used.add(scheme);
    return { [scheme]: [], ...signature };
  });
  if (alternatives.length > 0) return alternatives;
  return entry.signed ? [signature] : [];
}

/** `x-api-key` → `X-Api-Key`, for display (header names are case-insensitive). */
function headerName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

function addComponents(document: OpenApiDocument, options: ResolvedSecurityOptions, used: Set<string>): void {
  const components = (document.components ??= {});
  const schemes = (components.securitySchemes ??= {});
  if (used.has(RAMPART_SECURITY_SCHEMES.jwt)) {
    schemes[RAMPART_SECURITY_SCHEMES.jwt] = {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'Access token in `Authorization: Bearer <token>`.',
    };
  }
  if (used.has(RAMPART_SECURITY_SCHEMES.apiKey)) {
    schemes[RAMPART_SECURITY_SCHEMES.apiKey] = {
      type: 'apiKey',
      in: 'header',
      name: headerName(options.auth.apiKeys.header),
      description: 'API key.',
    };
  }
  if (used.has(RAMPART_SECURITY_SCHEMES.signature)) {
    schemes[RAMPART_SECURITY_SCHEMES.signature] = {
      type: 'apiKey',
      in: 'header',
      name: 'X-Signature',
      description:
        'HMAC-SHA256 of the canonical request (method, path, query, timestamp, nonce, body hash, signed headers) with the key named by X-Key-Id; sent with X-Timestamp and X-Nonce.',
    };
  }
  if (used.has(RAMPART_ERROR_SCHEMA)) {
    const schemas = (components.schemas ??= {});
    schemas[RAMPART_ERROR_SCHEMA] = options.errors.format === 'problem+json' ? PROBLEM_SCHEMA : ERROR_SCHEMA;
  }
}

/** The error body of `errors.format: 'nest'`. */
const ERROR_SCHEMA = {
  type: 'object',
  description: 'Error body of every refusal: Nest’s shape plus a stable `code`.',
  required: ['statusCode', 'error', 'message', 'code'],
  properties: {
    statusCode: { type: 'integer', example: 403 },
    error: { type: 'string', example: 'Forbidden' },
    message: {
      oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
      example: 'Insufficient permissions',
    },
    code: { type: 'string', example: 'PERMISSION_DENIED' },
    requestId: { type: 'string' },
  },
  additionalProperties: true,
};

/** The error body of `errors.format: 'problem+json'` (RFC 9457). */
const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details with a stable `code`.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', example: 'urn:nestjs-rampart:error:permission-denied' },
    title: { type: 'string', example: 'Forbidden' },
    status: { type: 'integer', example: 403 },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', example: 'PERMISSION_DENIED' },
    requestId: { type: 'string' },
  },
  additionalProperties: true,
};
