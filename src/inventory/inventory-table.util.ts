import type { InventoryRoute } from './inventory.interface';

/** What protects a route, in a few words: `public`, `jwt|api-key`, or `none` when nothing authenticates. */
function access(route: InventoryRoute): string {
  const parts: string[] = [route.public ? 'public' : route.authentication.join('|') || 'none'];
  if (route.signed) parts.push('signed');
  if (route.webhook) parts.push(`webhook:${route.webhook.scheme}`);
  return parts.join('+');
}

function rules(route: InventoryRoute): string {
  const parts: string[] = [];
  if (route.roles.length > 0) parts.push(`roles:${route.roles.join(',')}`);
  if (route.permissions.length > 0) parts.push(`perms:${route.permissions.join(',')}`);
  if (route.scopes.length > 0) parts.push(`scopes:${route.scopes.join(',')}`);
  if (route.ownership) parts.push(`owns:${route.ownership.resource}(${route.ownership.param})`);
  if (route.policies.length > 0) parts.push(`policy:${route.policies.join(',')}`);
  return parts.join(' ') || '-';
}

/** `name=limit/windows`, the key a module-wide limit is recognised by. @internal */
export function limitKey(limit: { policy: string; limit: number; windowSec: number }): string {
  return `${limit.policy}=${limit.limit}/${limit.windowSec}s`;
}

/** `rl:module` for the module-wide limits, then the route's own ones by name. */
function limits(route: InventoryRoute, moduleLimits: ReadonlySet<string>): string | undefined {
  if (route.rateLimits.length === 0) return undefined;
  const keys = route.rateLimits.map(limitKey);
  const own = keys.filter((k) => !moduleLimits.has(k));
  const shared = own.length < keys.length ? ['module'] : [];
  return `rl:${[...shared, own.join(',')].filter(Boolean).join('+')}`;
}

function extras(route: InventoryRoute, moduleLimits: ReadonlySet<string>): string {
  const parts: string[] = [];
  const rl = limits(route, moduleLimits);
  if (rl) parts.push(rl);
  if (route.idempotent) parts.push('idempotent');
  if (route.bodyDto) parts.push(`body:${route.bodyDto}`);
  if (route.responseFilter) parts.push(`out:${route.responseFilter}`);
  if (route.deprecated) parts.push(`sunset:${route.deprecated.sunset.slice(0, 10)}`);
  return parts.join(' ') || '-';
}

function risks(route: InventoryRoute): string {
  const open = route.warnings.map((w) => `!${w.code.replace(/^RAMPART_/, '')}`);
  const accepted = route.acceptedRisks.map((a) => `~${a.code.replace(/^RAMPART_/, '')}`);
  return [...open, ...accepted].join(' ') || 'ok';
}

/**
 * The boot table: one line per route, columns aligned. `rl:module` stands for the module-wide
 * limits (`moduleLimits`, as {@link limitKey}s), followed by the route's own ones; `!CODE` is an
 * open warning, `~CODE` one accepted with `@AcceptRisk()`.
 *
 * @internal
 */
export function formatInventoryTable(
  routes: readonly InventoryRoute[],
  moduleLimits: ReadonlySet<string> = new Set(),
): string[] {
  const rows = [
    ['METHOD', 'PATH', 'ACCESS', 'RULES', 'LIMITS/FLAGS', 'RISKS'],
    ...routes.map((r) => [r.method, r.path, access(r), rules(r), extras(r, moduleLimits), risks(r)]),
  ];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  return rows.map((row) =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col])))
      .join('  ')
      .trimEnd(),
  );
}
