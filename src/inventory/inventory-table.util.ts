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

function extras(route: InventoryRoute): string {
  const parts: string[] = [];
  if (route.rateLimits.length > 0) {
    parts.push(`rl:${route.rateLimits.map((l) => `${l.policy}=${l.limit}/${l.windowSec}s`).join(',')}`);
  }
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
 * The boot table: one line per route, columns aligned. `!CODE` is an open warning, `~CODE` one
 * accepted with `@AcceptRisk()`.
 *
 * @internal
 */
export function formatInventoryTable(routes: readonly InventoryRoute[]): string[] {
  const rows = [
    ['METHOD', 'PATH', 'ACCESS', 'RULES', 'LIMITS/FLAGS', 'RISKS'],
    ...routes.map((r) => [r.method, r.path, access(r), rules(r), extras(r), risks(r)]),
  ];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  return rows.map((row) =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col])))
      .join('  ')
      .trimEnd(),
  );
}
