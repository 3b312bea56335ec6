import { ANONYMOUS, type Identity, type KnownObject, type ScanContext } from '../scan-context';
import type { ApiOperation } from '../scan.types';
import { isOk, similarity, statusOf, type ScanCheck } from './check';

const ORDER = ['GET', 'PATCH', 'PUT', 'DELETE'];
/** Bodies at least this similar to the owner's are "the same object". */
const SAME_OBJECT = 0.9;

async function probeRead(ctx: ScanContext, op: ApiOperation, path: string, victim: Identity, attacker: Identity) {
  const base = await ctx.send(victim, 'GET', path);
  if (!isOk(base)) return ctx.skip('bola', 'API1', `the owner's own request answered ${statusOf(base)}`, op);
  const attack = await ctx.send(attacker, 'GET', path);
  if (!isOk(attack))
    return ctx.pass('bola', 'API1', `${attacker.name} was refused ${victim.name}'s object (${statusOf(attack)})`, op);
  const control = await ctx.send(ANONYMOUS, 'GET', path);
  if (isOk(control))
    return ctx.skip('bola', 'API1', 'the object is readable without credentials (public or API2, not BOLA)', op);
  const score = similarity(base, attack);
  if (score < SAME_OBJECT)
    return ctx.pass(
      'bola',
      'API1',
      `${attacker.name} got ${statusOf(attack)} but not ${victim.name}'s object (similarity ${score.toFixed(2)})`,
      op,
    );
  ctx.report('API1-BOLA-READ', {
    operation: op,
    message: `${op.method} ${op.path} returned ${victim.name}'s object to ${attacker.name} (same role) with ${statusOf(attack)}; body ${Math.round(score * 100)}% identical to the owner's; without credentials it answers ${statusOf(control)}.`,
    evidence: [base, attack, control],
  });
}

async function probeWrite(ctx: ScanContext, op: ApiOperation, path: string, victim: Identity, attacker: Identity) {
  const marker = `rampart-bola-${ctx.runId}`;
  const body = ctx.bodyFor(op);
  if (body && typeof body === 'object' && !Array.isArray(body))
    for (const [k, v] of Object.entries(body))
      if (typeof v === 'string' && !/url|uri|mail/i.test(k)) (body as Record<string, unknown>)[k] = marker;
  const attack = await ctx.send(attacker, op.method, path, { body, headers: ctx.headersFor(op) });
  if (!isOk(attack))
    return ctx.pass(
      'bola',
      'API1',
      `${attacker.name}'s ${op.method} on ${victim.name}'s object was refused (${statusOf(attack)})`,
      op,
    );
  const reader = ctx.usable().find((o) => o.method === 'GET' && o.path === op.path);
  const reread = reader ? await ctx.send(victim, 'GET', path) : undefined;
  const changed = reread?.response?.body.includes(marker) ?? false;
  if (reader && !changed)
    return ctx.pass(
      'bola',
      'API1',
      `${attacker.name}'s ${op.method} answered ${statusOf(attack)} but changed nothing`,
      op,
    );
  ctx.report('API1-BOLA-WRITE', {
    operation: op,
    severity: changed ? 'high' : 'medium',
    message: changed
      ? `${attacker.name} modified ${victim.name}'s object with ${op.method} ${op.path} (${statusOf(attack)}); ${victim.name}'s re-read shows the change.`
      : `${attacker.name}'s ${op.method} on ${victim.name}'s object answered ${statusOf(attack)} (no read operation to confirm the change).`,
    evidence: reread ? [attack, reread] : [attack],
  });
}

async function probeDelete(
  ctx: ScanContext,
  op: ApiOperation,
  path: string,
  object: KnownObject,
  victim: Identity,
  attacker: Identity,
) {
  const attack = await ctx.send(attacker, 'DELETE', path);
  if (!isOk(attack))
    return ctx.pass(
      'bola',
      'API1',
      `${attacker.name}'s DELETE on ${victim.name}'s object was refused (${statusOf(attack)})`,
      op,
    );
  const reread = await ctx.send(
    victim,
    'GET',
    ctx.pathOn({ ...op, path: object.prefix, pathParams: Object.keys(object.params), queryParams: [] }, object) ?? path,
  );
  if (reread.response?.status !== 404 && reread.response?.status !== 410)
    return ctx.pass(
      'bola',
      'API1',
      `${attacker.name}'s DELETE answered ${statusOf(attack)} but the object is still there`,
      op,
    );
  ctx.objects.splice(ctx.objects.indexOf(object), 1);
  ctx.report('API1-BOLA-DELETE', {
    operation: op,
    message: `${attacker.name} deleted ${victim.name}'s object with DELETE ${op.path} (${statusOf(attack)}); ${victim.name} now gets ${statusOf(reread)}.`,
    evidence: [attack, reread],
  });
}

async function probeLists(ctx: ScanContext, victim: Identity, attacker: Identity) {
  for (const object of ctx.objects.filter((o) => o.owner === victim.name)) {
    const collection = object.prefix.replace(/\/\{[^}]+\}$/, '');
    const list = ctx.usable().find((o) => o.method === 'GET' && o.path === collection);
    if (!list) continue;
    const ids = Object.values(object.params);
    const attack = await ctx.send(attacker, 'GET', ctx.pathOn(list) ?? collection);
    const leaked = isOk(attack) && ids.every((id) => attack.response!.body.includes(id));
    if (!leaked) {
      ctx.pass('bola-list', 'API1', `${attacker.name}'s list does not contain ${victim.name}'s object`, list);
      continue;
    }
    ctx.report('API1-BOLA-LIST', {
      operation: list,
      message: `GET ${collection} as ${attacker.name} lists ${victim.name}'s object (${ids.join(', ')}).`,
      evidence: [attack],
    });
  }
}

/**
 * API1: the attacker's credentials on the victim's objects (same role), compared with the
 * victim's own answer, with a no-credentials control so that public objects are not reported;
 * writes are confirmed by the victim's re-read, deletes by a 404; lists must not carry the
 * victim's objects. Destructive methods run only on objects the scanner created, unless
 * `--allow-destructive`.
 *
 * @internal
 */
export const bolaCheck: ScanCheck = {
  id: 'bola',
  owasp: 'API1',
  title: "Other users' objects (BOLA)",
  async run(ctx) {
    const { victim, attacker } = ctx;
    if (!victim || !attacker)
      return ctx.skip('bola', 'API1', 'needs two identities of the same role (victim and attacker) in --config');
    // Lists first: a successful cross-user DELETE below removes the victim's object.
    await probeLists(ctx, victim, attacker);
    const ops = ctx
      .usable()
      .filter((o) => o.pathParams.length > 0 && ORDER.includes(o.method))
      .sort((a, b) => ORDER.indexOf(a.method) - ORDER.indexOf(b.method));
    for (const op of ops) {
      const object = ctx.objectFor(op, victim.name);
      const path = object && ctx.pathOn(op, object);
      if (!object || !path) {
        ctx.skip(
          'bola',
          'API1',
          `no object of ${victim.name}'s to test with (create one or list it under objects)`,
          op,
        );
        continue;
      }
      if (op.method !== 'GET' && !object.created && !ctx.options.allowDestructive) {
        ctx.skip('bola', 'API1', `${op.method} on an object the scanner did not create needs --allow-destructive`, op);
        continue;
      }
      if (op.method === 'GET') await probeRead(ctx, op, path, victim, attacker);
      else if (op.method === 'DELETE') await probeDelete(ctx, op, path, object, victim, attacker);
      else await probeWrite(ctx, op, path, victim, attacker);
    }
  },
};
