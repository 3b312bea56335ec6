import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, type ModulesContainer } from '@nestjs/core';
import type { ProtectedObjectField } from '../core/context/field-access.interface';
import { modulePathOf, servedPaths, type ServingConfig } from './served-paths.util';

/** Nest's `RouteParamtypes.BODY` and `RAW_BODY` (not exported from the package root; stable since Nest 4). */
const BODY_PARAM = 3;

/** One `@Body()` parameter of a handler. @internal */
export interface BodyParam {
  /** `@Body('field')` reads one field; undefined reads the whole body. */
  field: string | undefined;
  /** The declared parameter type (`design:paramtypes`): `Object` for interfaces, `unknown` and `any`. */
  type: unknown;
}

/**
 * One route found on a controller. GraphQL operations will be discovered into the same shape
 * (`kind: 'graphql'`, `method` the operation type, `path` the field name) and described by the
 * same reader and checks.
 *
 * @internal
 */
export interface DiscoveredRoute {
  kind: 'http' | 'graphql';
  cls: Type;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  handler: Function;
  handlerName: string;
  /** `GET`, `POST`…, `ALL` for `@All()`. */
  method: string;
  /** The path the route is served at (global prefix, URI version, module, controller and method paths). */
  path: string;
  bodyParams: BodyParam[];
  /** GraphQL: the names of the field's arguments (`@Args('id')`); `[]` for HTTP routes. */
  args: string[];
  /**
   * A plain `@ObjectType()` property protected by its own `@Roles()` / `@Permissions()`: `cls` is
   * the object type class, `handler` too, and the rules are read from this property only.
   */
  property?: string;
}

/**
 * Every HTTP route of the application's controllers, in module and declaration order, at the
 * paths Nest's router serves it (several paths or versions give one route each).
 *
 * @internal
 */
export function discoverHttpRoutes(modules: ModulesContainer, serving: ServingConfig): DiscoveredRoute[] {
  const scanner = new MetadataScanner();
  const routes: DiscoveredRoute[] = [];
  const seen = new Set<unknown>();
  for (const wrapper of new DiscoveryService(modules).getControllers()) {
    const cls = wrapper.metatype as Type | null;
    if (typeof cls !== 'function' || seen.has(cls)) continue;
    seen.add(cls);
    const controllerPath: unknown = Reflect.getMetadata(PATH_METADATA, cls) ?? '/';
    const modulePath = modulePathOf(wrapper.host?.metatype, serving);
    for (const name of scanner.getAllMethodNames(cls.prototype)) {
      const handler: unknown = (cls.prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function') continue;
      const own: unknown = Reflect.getMetadata(PATH_METADATA, handler);
      if (own === undefined) continue;
      const requestMethod = (Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined) ?? 0;
      const method = RequestMethod[requestMethod] ?? 'GET';
      const bodyParams = readBodyParams(cls, name);
      const parts = { modulePath, controllerPath, methodPath: own, cls, handler, requestMethod };
      for (const path of servedPaths(parts, serving)) {
        routes.push({ kind: 'http', cls, handler, handlerName: name, method, path, bodyParams, args: [] });
      }
    }
  }
  return routes;
}

function readBodyParams(cls: Type, methodName: string): BodyParam[] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, methodName) ?? {}) as Record<
    string,
    { index: number; data?: unknown }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', cls.prototype, methodName) ?? []) as unknown[];
  const params: BodyParam[] = [];
  for (const [key, arg] of Object.entries(args)) {
    if (Number(key.split(':')[0]) !== BODY_PARAM) continue;
    params.push({ field: typeof arg.data === 'string' ? arg.data : undefined, type: types[arg.index] });
  }
  return params;
}

/** What @nestjs/graphql writes on `@Query`/`@Mutation`/`@Subscription` and `@ResolveField` methods. */
const RESOLVER_TYPE_KEY = 'graphql:resolver_type';
const RESOLVER_NAME_KEY = 'graphql:resolver_name';
const RESOLVER_PROPERTY_KEY = 'graphql:resolve_property';
const OPERATION_TYPES: Readonly<Record<string, string>> = {
  Query: 'query',
  Mutation: 'mutation',
  Subscription: 'subscription',
};

/** Nest GraphQL's `GqlParamtype.ARGS` (`@Args()`), stored under the same key as route parameters. */
const GRAPHQL_ARGS_PARAM = 3;

/**
 * Every GraphQL root operation of the application's resolvers (`kind: 'graphql'`, `method` the
 * operation type, `path` the field name) and every field resolver (`method` `field`, `path`
 * `Parent.field`), read from @nestjs/graphql's metadata without importing it.
 *
 * @internal
 */
export function discoverGraphqlRoutes(modules: ModulesContainer): DiscoveredRoute[] {
  const scanner = new MetadataScanner();
  const routes: DiscoveredRoute[] = [];
  const seen = new Set<unknown>();
  for (const wrapper of new DiscoveryService(modules).getProviders()) {
    const cls = wrapper.metatype as Type | null;
    if (typeof cls !== 'function' || seen.has(cls) || !cls.prototype) continue;
    seen.add(cls);
    for (const name of scanner.getAllMethodNames(cls.prototype)) {
      const handler: unknown = (cls.prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function') continue;
      const field: unknown = Reflect.getMetadata(RESOLVER_NAME_KEY, handler);
      const fieldName = typeof field === 'string' && field ? field : name;
      let method: string | undefined;
      let path = fieldName;
      if (Reflect.getMetadata(RESOLVER_PROPERTY_KEY, handler) === true) {
        method = 'field';
        path = `${parentTypeName(cls)}.${fieldName}`;
      } else {
        const type: unknown = Reflect.getMetadata(RESOLVER_TYPE_KEY, handler);
        method = typeof type === 'string' ? OPERATION_TYPES[type] : undefined;
      }
      if (!method) continue;
      routes.push({
        kind: 'graphql',
        cls,
        handler,
        handlerName: name,
        method,
        path,
        bodyParams: [],
        args: readArgs(cls, name),
      });
    }
  }
  return routes;
}

/** The object type a resolver class resolves fields of: `@Resolver(() => Item)` → `Item`. */
function parentTypeName(cls: Type): string {
  const named: unknown = Reflect.getMetadata(RESOLVER_NAME_KEY, cls);
  return typeof named === 'string' && named ? named : cls.name.replace(/Resolver$/, '') || cls.name;
}

/** The names of a resolver method's `@Args('name')` parameters. */
function readArgs(cls: Type, methodName: string): string[] {
  const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, methodName) ?? {}) as Record<
    string,
    { data?: unknown }
  >;
  const names: string[] = [];
  for (const [key, param] of Object.entries(params)) {
    if (Number(key.split(':')[0]) === GRAPHQL_ARGS_PARAM && typeof param.data === 'string') names.push(param.data);
  }
  return names;
}

/**
 * The object type fields the GraphQL layer protects with a property
 * `@Roles()` / `@Permissions()`: `method` `field`, `path` `Type.field`, like field resolvers.
 *
 * @internal
 */
export function discoverProtectedFields(fields: readonly ProtectedObjectField[]): DiscoveredRoute[] {
  const routes: DiscoveredRoute[] = [];
  for (const field of fields) {
    const path = `${field.type}.${field.field}`;
    const cls = field.cls as unknown as Type;
    routes.push({
      kind: 'graphql',
      cls,
      handler: cls,
      handlerName: field.property,
      method: 'field',
      path,
      bodyParams: [],
      args: [],
      property: field.property,
    });
  }
  return routes;
}
