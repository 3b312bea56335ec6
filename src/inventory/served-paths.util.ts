import { RequestMethod, VERSION_NEUTRAL, type VersioningOptions, VersioningType } from '@nestjs/common';
import { MODULE_PATH, VERSION_METADATA } from '@nestjs/common/constants';
import type { ApplicationConfig } from '@nestjs/core';

/** A global-prefix exclusion as `setGlobalPrefix(prefix, { exclude })` stores it. */
interface ExcludedRoute {
  requestMethod?: RequestMethod;
  pathRegex?: RegExp;
}

/**
 * How the application serves routes: global prefix (and its exclusions) and URI versioning, read
 * from Nest's `ApplicationConfig` (a provider of every module). Set with `app.setGlobalPrefix()`
 * and `app.enableVersioning()` before `init()`/`listen()`.
 *
 * @internal
 */
export interface ServingConfig {
  globalPrefix: string;
  exclude: readonly ExcludedRoute[];
  versioning: VersioningOptions | undefined;
  /** `ModulesContainer.applicationId`: RouterModule keys module paths by it. */
  applicationId: string | undefined;
}

/** Reads the serving configuration; none when Nest gives no ApplicationConfig. @internal */
export function servingConfig(config: ApplicationConfig | undefined, applicationId: string | undefined): ServingConfig {
  const exclude = (config?.getGlobalPrefixOptions?.() as { exclude?: unknown } | undefined)?.exclude;
  return {
    globalPrefix: config?.getGlobalPrefix?.() ?? '',
    exclude: Array.isArray(exclude) ? (exclude as ExcludedRoute[]) : [],
    versioning: config?.getVersioning?.(),
    applicationId,
  };
}

const stripEndSlash = (path: string): string => (path.endsWith('/') ? path.slice(0, -1) : path);
const leadingSlash = (path: string): string => (path.startsWith('/') ? path : `/${path}`);
const concat = (a: string, b: string): string => stripEndSlash(a) + leadingSlash(b);

function fragments(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** The `RouterModule` path of a controller's module, if any. @internal */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function modulePathOf(moduleType: Function | undefined, config: ServingConfig): unknown {
  if (!moduleType) return undefined;
  const scoped: unknown = config.applicationId
    ? Reflect.getMetadata(MODULE_PATH + config.applicationId, moduleType)
    : undefined;
  return scoped ?? Reflect.getMetadata(MODULE_PATH, moduleType);
}

/** Inputs of {@link servedPaths}: the metadata Nest's router builds a route's paths from. @internal */
export interface RoutePathParts {
  modulePath: unknown;
  controllerPath: unknown;
  methodPath: unknown;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  cls: Function;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  handler: Function;
  requestMethod: RequestMethod;
}

/**
 * The paths a route is served at, built the way Nest's router builds them: URI version prefix
 * (method version, else controller version, else `defaultVersion`; `VERSION_NEUTRAL` adds none),
 * RouterModule module path, controller path, method path, then the global prefix unless an
 * exclusion matches. Header and media-type versioning leave the path as it is.
 *
 * @internal
 */
export function servedPaths(parts: RoutePathParts, config: ServingConfig): string[] {
  const versioning = config.versioning;
  const version: unknown =
    Reflect.getMetadata(VERSION_METADATA, parts.handler) ??
    (versioning ? (Reflect.getMetadata(VERSION_METADATA, parts.cls) ?? versioning.defaultVersion) : undefined);
  let prefixes: Array<{ path: string; versionPrefix: string }> = [{ path: '', versionPrefix: '' }];
  if (version !== undefined && versioning?.type === VersioningType.URI) {
    const letter = versioning.prefix === false ? '' : (versioning.prefix ?? 'v');
    prefixes = (Array.isArray(version) ? version : [version]).map((v: unknown) => {
      const path = v === VERSION_NEUTRAL ? '' : `/${letter}${String(v)}`;
      return { path, versionPrefix: path };
    });
  }
  const out: string[] = [];
  for (const { path: start, versionPrefix } of prefixes) {
    let paths = [start];
    for (const part of [parts.modulePath, parts.controllerPath, parts.methodPath]) {
      const pieces = fragments(part);
      if (pieces) paths = paths.flatMap((p) => pieces.map((piece) => concat(p, piece)));
    }
    for (let path of paths) {
      if (config.globalPrefix && !excluded(config, path.slice(versionPrefix.length), parts.requestMethod)) {
        path = stripEndSlash(config.globalPrefix) + path;
      }
      const final = leadingSlash(path || '/');
      out.push(final !== '/' ? stripEndSlash(final) : final);
    }
  }
  return out;
}

function excluded(config: ServingConfig, path: string, method: RequestMethod): boolean {
  return config.exclude.some(
    (route) =>
      (route.requestMethod === undefined ||
        route.requestMethod === RequestMethod.ALL ||
        route.requestMethod === method) &&
      route.pathRegex?.test(leadingSlash(path)) === true,
  );
}
