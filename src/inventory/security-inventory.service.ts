import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit, Optional } from '@nestjs/common';
import { ApplicationConfig, ModulesContainer, Reflector } from '@nestjs/core';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { deepFreeze } from '../core/options/validate.util';
import type { ResolvedSecurityOptions } from '../security.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import type { ProtectedFieldCatalog, ProtectedObjectField } from '../core/context/field-access.interface';
import { PROTECTED_FIELD_CATALOG } from '../core/internal.constants';
import { findControllerSource } from './controller-source.util';
import { INVENTORY_FORMAT, INVENTORY_VERSION } from './inventory.constants';
import type { InventoryDocument, InventoryRoute } from './inventory.interface';
import { formatInventoryTable, limitKey } from './inventory-table.util';
import { applyWarnings } from './inventory-warnings';
import { discoverGraphqlRoutes, discoverHttpRoutes, discoverProtectedFields } from './route-discovery.util';
import { readRouteProtections, type RouteFacts } from './route-protections.reader';
import { servingConfig } from './served-paths.util';

/** One route of the inventory with the facts behind it. @internal */
export interface InventoryRecord {
  entry: InventoryRoute;
  facts: RouteFacts;
}

/** A field resolver's entry with the `@Roles()` / `@Permissions()` of its object type property too (both apply). */
function mergeRules(entry: InventoryRoute, property: InventoryRoute): void {
  entry.roles = [...new Set([...entry.roles, ...property.roles])];
  entry.permissions = [...new Set([...entry.permissions, ...property.permissions])];
}

/**
 * The route security inventory: every route of the application and what protects it (public or
 * how it authenticates, roles, permissions, scopes, ownership, policies, rate limits, idempotency,
 * signing, webhook verification, deprecation, body DTO, response filtering), with risk warnings.
 *
 * Built once, when the modules are initialised, from the controllers' metadata; paths are the
 * ones Nest serves (global prefix, URI versioning, RouterModule paths). At boot it is printed as a table
 * (`inventory.printTable`) and written to `inventory.file` (before the `failOn` check, so a
 * refused boot still leaves its report); with `inventory.failOn: 'warning'` an unaccepted warning
 * stops the boot.
 *
 * @example
 * ```ts
 * const inventory = app.get(SecurityInventory);
 * const open = inventory.routes().filter((r) => r.public);
 * ```
 * @throws {SecurityConfigError} at boot, with `failOn: 'warning'` and open warnings, or when `file` cannot be written
 * @publicApi
 */
@Injectable()
export class SecurityInventory implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('SecurityModule');
  private built: readonly InventoryRecord[] | undefined;

  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: ResolvedSecurityOptions,
    private readonly reflector: Reflector,
    private readonly modules: ModulesContainer,
    @Optional() private readonly appConfig?: ApplicationConfig,
    @Optional() @Inject(PROTECTED_FIELD_CATALOG) private readonly fieldCatalog?: ProtectedFieldCatalog,
  ) {}

  onModuleInit(): void {
    const { enabled, file, failOn } = this.options.inventory;
    if (!enabled) return;
    // Written before the failOn check: CI keeps the file of a refused boot as its report.
    if (file) this.writeFile(file);
    const open = this.routes().filter((r) => r.warnings.length > 0);
    if (failOn === 'warning' && open.length > 0) {
      const list = open.flatMap((r) => r.warnings.map((w) => `${r.id} ${w.code}`)).join('; ');
      throw SecurityConfigError.create(
        'inventory.failOn',
        `is "warning" and ${open.length} route(s) have unaccepted warnings (${list})`,
        "Fix them, or after review silence one on its route with @AcceptRisk('<code>', '<why>')",
      );
    }
  }

  onApplicationBootstrap(): void {
    const { enabled, printTable, file } = this.options.inventory;
    if (!enabled) return;
    // Written again once the GraphQL schema (built after onModuleInit) adds its protected fields.
    const incomplete = this.built === undefined;
    const routes = this.routes();
    if (file && incomplete) this.writeFile(file);
    if (printTable) {
      const table = formatInventoryTable(routes, this.moduleLimits());
      this.logger.log(`Routes (${routes.length}):\n${table.join('\n')}`);
    }
    for (const route of routes) {
      for (const warning of route.warnings) {
        this.logger.warn(`${warning.code} ${route.id} (${route.controller}.${route.handler}): ${warning.message}.`);
      }
    }
  }

  /** Every route, in module and declaration order. The entries are frozen; the list is a copy. */
  routes(): InventoryRoute[] {
    return this.records().map((r) => r.entry);
  }

  /** The inventory JSON document (what `inventory.file` holds). */
  toJSON(): InventoryDocument {
    return { format: INVENTORY_FORMAT, version: INVENTORY_VERSION, routes: this.routes() };
  }

  /** Routes with the facts behind them, for the OpenAPI enrichment. @internal */
  records(): readonly InventoryRecord[] {
    if (this.built) return this.built;
    const fields = this.fieldCatalog?.protectedFields();
    const records = this.build(fields ?? []);
    // Before the GraphQL schema is built its protected fields are unknown: build again later.
    if (fields !== undefined || !this.fieldCatalog) this.built = records;
    return records;
  }

  /** The module-wide rate limits (policies and tiers), as the table abbreviates them. */
  private moduleLimits(): Set<string> {
    const { policies, tiers } = this.options.rateLimit;
    return new Set(
      [...policies, ...Object.values(tiers).flat()].map((p) =>
        limitKey({ policy: p.name, limit: p.limit, windowSec: p.windowMs / 1000 }),
      ),
    );
  }

  private build(fields: readonly ProtectedObjectField[]): readonly InventoryRecord[] {
    const sources = new Map<unknown, string | null>();
    const seen = new Map<string, number>();
    const serving = servingConfig(this.appConfig, this.modules.applicationId);
    const graphql = discoverGraphqlRoutes(this.modules);
    const resolvers = new Set(graphql.filter((r) => r.method === 'field').map((r) => r.path));
    // A protected property that also has a @ResolveField is listed once, as that resolver.
    const properties = discoverProtectedFields(fields);
    const onResolvers = properties.filter((p) => resolvers.has(p.path));
    const routes = [
      ...discoverHttpRoutes(this.modules, serving),
      ...graphql,
      ...properties.filter((p) => !resolvers.has(p.path)),
    ];
    return routes.map((route) => {
      if (!sources.has(route.cls)) sources.set(route.cls, findControllerSource(route.cls));
      const record = readRouteProtections(this.reflector, this.options, route, sources.get(route.cls) ?? null);
      if (route.method === 'field' && route.property === undefined) {
        for (const property of onResolvers.filter((p) => p.path === route.path)) {
          mergeRules(record.entry, readRouteProtections(this.reflector, this.options, property, null).entry);
        }
      }
      applyWarnings(record.entry, record.facts, this.options);
      // Two controllers may declare the same method and path (Nest serves the first): keep ids unique.
      const count = (seen.get(record.entry.id) ?? 0) + 1;
      seen.set(record.entry.id, count);
      if (count > 1) record.entry.id = `${record.entry.id} #${count}`;
      return { entry: deepFreeze(record.entry), facts: record.facts };
    });
  }

  private writeFile(file: string): void {
    const target = resolve(file);
    const temporary = `${target}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(temporary, `${JSON.stringify(this.toJSON(), null, 2)}\n`, { mode: 0o644 });
      renameSync(temporary, target);
    } catch (error) {
      throw SecurityConfigError.create(
        'inventory.file',
        `could not be written to ${target} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        'Point it at a writable path, or remove it',
      );
    }
  }
}
