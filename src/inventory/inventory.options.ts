import { SecurityConfigError } from '../core/errors/security-config.error';
import type { ResolveContext } from '../core/options/core.options';
import { optionKeys, readBoolean, readEnum, readStrictSection, readString } from '../core/options/validate.util';

/**
 * The route security inventory: every route and what protects it, computed at boot, with risk
 * warnings. See docs/inventory.md.
 *
 * @publicApi
 */
export interface InventoryOptions {
  /**
   * Builds the inventory at boot (the {@link SecurityInventory} service answers with an empty
   * list when false, and nothing is printed, written or checked).
   * @default true
   */
  enabled?: boolean;
  /**
   * Prints the inventory at boot as a compact table (one line per route), then one line per
   * warning, through Nest's logger (context `SecurityModule`).
   * @default true
   */
  printTable?: boolean;
  /**
   * Writes the inventory JSON (format `nestjs-rampart.inventory`, version 1) to this path at boot,
   * relative to the working directory. Parent directories are created. A file that cannot be
   * written stops the boot.
   * @default undefined (no file)
   */
  file?: string;
  /**
   * `'warning'` refuses to boot while any route has a warning not silenced by `@AcceptRisk()`
   * (for CI); `'never'` only reports them.
   * @default 'never'
   */
  failOn?: 'warning' | 'never';
}

/** @internal */
export interface ResolvedInventoryOptions {
  enabled: boolean;
  printTable: boolean;
  file: string | undefined;
  failOn: 'warning' | 'never';
}

const KEYS = optionKeys<InventoryOptions>()(['enabled', 'printTable', 'file', 'failOn']);

/** Validates `inventory` and applies the defaults. @internal */
export function resolveInventoryOptions(
  value: unknown,
  _ctx: ResolveContext,
  path = 'inventory',
): ResolvedInventoryOptions {
  const raw = readStrictSection(value, KEYS, path);
  const file = readString(raw, 'file', path);
  if (file !== undefined && /[\0\r\n]/.test(file)) {
    throw SecurityConfigError.create(`${path}.file`, 'contains a control character', 'Use a plain file path');
  }
  return {
    enabled: readBoolean(raw, 'enabled', path, true),
    printTable: readBoolean(raw, 'printTable', path, true),
    file,
    failOn: readEnum(raw, 'failOn', path, ['warning', 'never'], 'never'),
  };
}
