import { readFileSync } from 'node:fs';
import type { ApiOperation } from './scan.types';
import { SpecError } from './openapi.loader';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `/documents/:id` → `/documents/{id}`. @internal */
export function toTemplate(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * Reads a nestjs-rampart route inventory (`"format": "nestjs-rampart.inventory"`, version 1) and
 * lists its HTTP routes as operations. GraphQL entries are kept out (the scanner has no GraphQL
 * checks yet). The route's `source` file, when known, becomes its report and SARIF location.
 *
 * @internal
 */
export function loadInventory(file: string, displayFile: string): ApiOperation[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SpecError(`cannot read the route inventory ${file}: ${(error as Error).message}`);
  }
  if (!isObj(doc) || doc.format !== 'nestjs-rampart.inventory' || doc.version !== 1 || !Array.isArray(doc.routes))
    throw new SpecError(
      `${file} is not a nestjs-rampart route inventory (expected "format": "nestjs-rampart.inventory", "version": 1, "routes": [...])`,
    );
  const operations: ApiOperation[] = [];
  doc.routes.forEach((route, index) => {
    if (!isObj(route) || route.kind === 'graphql') return;
    if (typeof route.method !== 'string' || typeof route.path !== 'string')
      throw new SpecError(`${file}: routes[${index}] needs a method and a path`);
    const path = toTemplate(route.path);
    const method = route.method.toUpperCase();
    const deprecated = isObj(route.deprecated) ? route.deprecated : undefined;
    const ownership = isObj(route.ownership) ? route.ownership : undefined;
    operations.push({
      key: `${method} ${path}`,
      method,
      path,
      pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
      queryParams: [],
      headerParams: [],
      secured: typeof route.public === 'boolean' ? !route.public : undefined,
      roles: Array.isArray(route.roles) ? route.roles.map(String) : [],
      permissions: Array.isArray(route.permissions) ? route.permissions.map(String) : [],
      tags: [],
      deprecated: Boolean(deprecated),
      sunset: deprecated && typeof deprecated.sunset === 'string' ? deprecated.sunset : undefined,
      idempotent: route.idempotent === true,
      signed: route.signed === true,
      ownershipParam: ownership && typeof ownership.param === 'string' ? ownership.param : undefined,
      location: { file: typeof route.source === 'string' && route.source ? route.source : displayFile, line: 1 },
      origin: 'inventory',
    });
  });
  return operations;
}
