import { ANONYMOUS, type Identity, type ScanContext } from '../scan-context';
import type { ApiOperation } from '../scan.types';
import { isOk, statusOf, type ScanCheck } from './check';

/**
 * Privileged: roles the low identity lacks, an admin permission, an `admin` tag, or an `/admin`
 * path segment.
 */
function isPrivileged(op: ApiOperation, low: Identity): boolean {
  if (op.roles.length > 0) return !(low.role && op.roles.includes(low.role));
  return (
    op.permissions.some((p) => /(^|[:.])admin([:.*]|$)/i.test(p)) ||
    op.tags.some((t) => /admin/i.test(t)) ||
    /\/admin(\/|$)/i.test(op.path)
  );
}

const SWITCHABLE = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Method switching: on each documented path, the methods the document does not list, as the low
 * identity. PUT/PATCH/DELETE only on objects the scanner created (or with --allow-destructive).
 */
async function methodSwitching(ctx: ScanContext, low: Identity) {
  const paths = new Map<string, ApiOperation[]>();
  for (const op of ctx.operations.filter((o) => o.origin === 'openapi'))
    paths.set(op.path, [...(paths.get(op.path) ?? []), op]);
  let tried = 0;
  for (const [path, ops] of paths) {
    const documented = new Set(ops.map((o) => o.method));
    const sample = ops[0];
    const object = ctx.objectFor(sample, ctx.victim?.name ?? low.name) ?? ctx.objectFor(sample, low.name);
    const concrete = ctx.pathOn({ ...sample, queryParams: [] }, object);
    if (!concrete) continue;
    for (const method of SWITCHABLE.filter((m) => !documented.has(m))) {
      const destructive = method !== 'GET' && method !== 'POST';
      if (ctx.isExcluded(method, path) || (destructive && !(object?.created || ctx.options.allowDestructive))) continue;
      tried += 1;
      const body = ops.map((o) => ctx.bodyFor(o)).find((b) => b !== undefined);
      const x = await ctx.send(low, method, concrete, {
        body: method === 'GET' || method === 'DELETE' ? undefined : (body ?? {}),
      });
      if (!isOk(x)) continue;
      const privileged = ops.some((o) => isPrivileged(o, low));
      ctx.report('API5-METHOD-SWITCH', {
        // Located at the path's documented operation.
        operation: { ...sample, key: `${method} ${path}`, method },
        severity: privileged ? 'high' : 'medium',
        message: `${method} ${path} is not in the API documentation (which lists ${[...documented].join(', ')}) but answered ${statusOf(x)} to ${low.name}${privileged ? ' on a privileged path' : ''}.`,
        evidence: [x],
      });
    }
  }
  if (tried > 0) ctx.pass('method-switch', 'API5', `${tried} undocumented method/path pairs tried`);
  else ctx.skip('method-switch', 'API5', 'no documented path to switch methods on (needs --openapi and objects)');
}

/**
 * API5: operations meant for higher privileges (x-rampart-roles, the inventory's roles, an admin
 * tag or path) called by the low-privilege identity and anonymously, after the high-privilege
 * identity's baseline when one is configured. Only GET unless `--allow-destructive`.
 *
 * @internal
 */
export const functionLevelCheck: ScanCheck = {
  id: 'function-level',
  owasp: 'API5',
  title: 'Privileged operations (BFLA) and method switching',
  async run(ctx) {
    const low = ctx.low ?? ctx.attacker ?? ctx.victim;
    if (!low) return ctx.skip('bfla', 'API5', 'needs a low-privilege identity in --config (low:, or victim/attacker)');
    const ops = ctx
      .usable()
      .filter((o) => isPrivileged(o, low) && (o.method === 'GET' || ctx.options.allowDestructive));
    if (ops.length === 0)
      ctx.skip('bfla', 'API5', 'no operation is marked privileged (x-rampart-roles, admin tag or path)');
    for (const op of ops) {
      const owner = ctx.high ?? low;
      const path = ctx.pathOn(
        op,
        ctx.objectFor(op, owner.name) ?? ctx.objects.find((o) => op.path.startsWith(o.prefix)),
      );
      if (!path) {
        ctx.skip('bfla', 'API5', 'no object id to fill the path with', op);
        continue;
      }
      const init = { body: ctx.bodyFor(op), headers: ctx.headersFor(op) };
      const baseline = ctx.high ? await ctx.send(ctx.high, op.method, path, init) : undefined;
      if (baseline && !isOk(baseline)) {
        ctx.skip(
          'bfla',
          'API5',
          `the high-privilege identity ${ctx.high!.name} is refused too (${statusOf(baseline)})`,
          op,
        );
        continue;
      }
      const asLow = await ctx.send(low, op.method, path, init);
      const asAnon = await ctx.send(ANONYMOUS, op.method, path, init);
      if (!isOk(asLow) && !isOk(asAnon)) {
        ctx.pass(
          'bfla',
          'API5',
          `refused to ${low.name} (${statusOf(asLow)}) and anonymous callers (${statusOf(asAnon)})`,
          op,
        );
        continue;
      }
      const who = isOk(asAnon)
        ? `anonymous callers (${statusOf(asAnon)})${isOk(asLow) ? ` and ${low.name} (${statusOf(asLow)})` : ''}`
        : `${low.name}${low.role ? ` (role ${low.role})` : ''} with ${statusOf(asLow)}`;
      ctx.report('API5-BFLA', {
        operation: op,
        severity: isOk(asAnon) ? 'critical' : 'high',
        message: `${op.key} is privileged (${op.roles.length ? `roles ${op.roles.join(', ')}` : 'admin operation'}) but served ${who}.`,
        evidence: [baseline, asLow, asAnon].filter((x) => x !== undefined),
      });
    }
    await methodSwitching(ctx, low);
  },
};
