import { ANONYMOUS, type ScanContext } from '../scan-context';
import type { ApiOperation } from '../scan.types';
import { schemaProperties } from '../sample-values.util';
import { statusOf, type ScanCheck } from './check';

const URL_LIKE = /(url|uri|link|href|src|callback|webhook|avatar|image|feed|redirect|endpoint|target|proxy|fetch)/i;

function urlFields(op: ApiOperation, configured: unknown): { body: string[]; query: string[] } {
  const declared = Object.entries(schemaProperties(op.requestSchema))
    .filter(([name, s]) => s.type === 'string' && (URL_LIKE.test(name) || s.format === 'uri' || s.format === 'url'))
    .map(([name]) => name);
  // Fields of the configured body count too (generated documents often lack property schemas).
  const extra =
    configured && typeof configured === 'object'
      ? Object.entries(configured)
          .filter(([name, v]) => typeof v === 'string' && URL_LIKE.test(name))
          .map(([name]) => name)
      : [];
  const body = [...new Set([...declared, ...extra])];
  const query = op.queryParams.filter((q) => URL_LIKE.test(q.name) || q.schema?.format === 'uri').map((q) => q.name);
  return { body, query };
}

/**
 * API7: every URL-like body field and query parameter is pointed at the scanner's loopback canary;
 * a request reaching the canary proves the server fetches client-chosen URLs.
 *
 * @internal
 */
export const ssrfCheck: ScanCheck = {
  id: 'ssrf',
  owasp: 'API7',
  title: 'Server-side request forgery',
  async run(ctx: ScanContext) {
    const who = ctx.victim ?? [...ctx.identities.values()][0] ?? ANONYMOUS;
    const ops = ctx.usable().filter((o) => {
      const f = urlFields(o, ctx.bodyFor(o));
      return f.body.length + f.query.length > 0;
    });
    if (ops.length === 0) return ctx.skip('ssrf', 'API7', 'no operation takes a URL-like field or parameter');
    for (const op of ops) {
      const object = ctx.objectFor(op, who.name);
      if (op.method !== 'GET' && op.method !== 'POST' && !(object?.created || ctx.options.allowDestructive)) {
        ctx.skip('ssrf', 'API7', `${op.method} on an object the scanner did not create needs --allow-destructive`, op);
        continue;
      }
      let path = ctx.pathOn(op, object);
      if (!path) {
        ctx.skip('ssrf', 'API7', 'no object id to fill the path with', op);
        continue;
      }
      const tag = `ssrf-${ctx.runId}-${ctx.operations.indexOf(op)}`;
      const canary = ctx.options.canary.url(tag);
      const { body: fields, query } = urlFields(op, ctx.bodyFor(op));
      const body =
        op.requestSchema || fields.length > 0
          ? { ...(ctx.bodyFor(op) as Record<string, unknown>), ...Object.fromEntries(fields.map((f) => [f, canary])) }
          : undefined;
      if (query.length)
        path += `${path.includes('?') ? '&' : '?'}${query.map((q) => `${q}=${encodeURIComponent(canary)}`).join('&')}`;
      const x = await ctx.send(who, op.method, path, { body, headers: ctx.headersFor(op) });
      const hits = await ctx.options.canary.hitsFor(tag, 500);
      if (hits.length === 0) {
        ctx.pass(
          'ssrf',
          'API7',
          `the canary URL in ${[...fields, ...query].join(', ')} was not fetched (${statusOf(x)})`,
          op,
        );
        continue;
      }
      ctx.report('API7-SSRF', {
        operation: op,
        message: `${op.key} made the server fetch the scanner's canary ${canary} (${hits.length} request(s), ${hits[0].method} from ${hits[0].from}${hits[0].userAgent ? `, User-Agent ${hits[0].userAgent}` : ''}) after it was put in ${[...fields, ...query].join(', ')}.`,
        evidence: [x],
      });
    }
  },
};
