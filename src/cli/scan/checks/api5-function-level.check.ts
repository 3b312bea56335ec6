import { ANONYMOUS, type Identity } from '../scan-context';
import type { ApiOperation } from '../scan.types';
import { isOk, statusOf, type ScanCheck } from './check';

/** Privileged: roles the low identity lacks, an `admin` tag, or an `/admin` path segment. */
function privileged(op: ApiOperation, low: Identity): boolean {
  if (op.roles.length > 0) return !(low.role && op.roles.includes(low.role));
  return op.tags.some((t) => /admin/i.test(t)) || /\/admin(\/|$)/i.test(op.path);
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
  title: 'Privileged operations (BFLA)',
  async run(ctx) {
    const low = ctx.low ?? ctx.attacker ?? ctx.victim;
    if (!low) return ctx.skip('bfla', 'API5', 'needs a low-privilege identity in --config (low:, or victim/attacker)');
    const ops = ctx.usable().filter((o) => privileged(o, low) && (o.method === 'GET' || ctx.options.allowDestructive));
    if (ops.length === 0)
      return ctx.skip('bfla', 'API5', 'no operation is marked privileged (x-rampart-roles, admin tag or path)');
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
  },
};
