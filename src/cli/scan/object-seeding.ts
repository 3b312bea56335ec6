import type { Identity, ScanContext } from './scan-context';
import type { ApiOperation } from './scan.types';
import { isOk, jsonBody, statusOf } from './checks/check';

/** The item operation under a collection POST: `POST /a` → `GET /a/{id}`. */
function itemOf(ctx: ScanContext, post: ApiOperation): ApiOperation | undefined {
  const depth = post.path.split('/').length + 1;
  return ctx.operations.find(
    (o) =>
      o.method === 'GET' &&
      o.path.split('/').length === depth &&
      o.path.startsWith(`${post.path}/{`) &&
      o.path.endsWith('}'),
  );
}

/**
 * Objects the checks work on: the config's `objects`, then (unless `create: false`) one object per
 * collection created by the victim and one by the attacker through the documented POST operations
 * (parents first, so nested collections can be filled). Created objects are the only ones
 * destructive probes touch without --allow-destructive.
 *
 * @internal
 */
export async function seedObjects(ctx: ScanContext): Promise<void> {
  for (const seed of ctx.config.objects)
    ctx.objects.push({ prefix: seed.path, params: seed.params, owner: seed.owner, created: false });
  if (!ctx.config.create) return ctx.skip('create-objects', 'API1', 'object creation is off (create: false)');
  const owners = [ctx.victim, ctx.attacker].filter((i): i is Identity => i !== undefined);
  const flows = new Set(ctx.config.sensitiveFlows);
  const posts = ctx
    .usable()
    .filter((o) => o.method === 'POST' && !flows.has(o.key) && itemOf(ctx, o))
    .sort((a, b) => a.pathParams.length - b.pathParams.length);
  for (const owner of owners)
    for (const post of posts) {
      const item = itemOf(ctx, post)!;
      const parent = ctx.objectFor(post, owner.name);
      const path = ctx.pathOn(post, parent);
      if (!path) continue;
      const x = await ctx.send(owner, 'POST', path, { body: ctx.bodyFor(post), headers: ctx.headersFor(post) });
      const param = item.pathParams[item.pathParams.length - 1];
      const body = jsonBody(x) as Record<string, unknown> | undefined;
      const id =
        body?.[param] ?? body?.id ?? body?._id ?? x.response?.headers.location?.split('/').filter(Boolean).pop();
      if (!isOk(x) || (typeof id !== 'string' && typeof id !== 'number')) {
        ctx.skip(
          'create-objects',
          'API1',
          `${owner.name} could not create an object (${statusOf(x)}${isOk(x) ? ', no id in the answer' : ''})`,
          post,
        );
        continue;
      }
      ctx.objects.push({
        prefix: item.path,
        params: { ...parent?.params, [param]: String(id) },
        owner: owner.name,
        created: true,
      });
    }
}
