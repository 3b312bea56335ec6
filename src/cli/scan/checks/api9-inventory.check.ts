import { ANONYMOUS, type ScanContext } from '../scan-context';
import type { HttpExchange } from '../scan.types';
import { isOk, similarity, statusOf, type ScanCheck } from './check';

type Kind = 'docs' | 'debug' | 'metrics' | 'version';
const PROBES: Array<[string, Kind]> = [
  ['/api-docs', 'docs'],
  ['/api-docs-json', 'docs'],
  ['/swagger', 'docs'],
  ['/swagger.json', 'docs'],
  ['/swagger-ui.html', 'docs'],
  ['/openapi.json', 'docs'],
  ['/openapi.yaml', 'docs'],
  ['/v2/api-docs', 'docs'],
  ['/v3/api-docs', 'docs'],
  ['/docs', 'docs'],
  ['/graphiql', 'docs'],
  ['/debug', 'debug'],
  ['/debug/vars', 'debug'],
  ['/debug/pprof', 'debug'],
  ['/_debug', 'debug'],
  ['/env', 'debug'],
  ['/.env', 'debug'],
  ['/config', 'debug'],
  ['/config.json', 'debug'],
  ['/actuator', 'debug'],
  ['/actuator/env', 'debug'],
  ['/admin/debug', 'debug'],
  ['/console', 'debug'],
  ['/server-status', 'debug'],
  ['/phpinfo.php', 'debug'],
  ['/.git/config', 'debug'],
  ['/metrics', 'metrics'],
  ['/actuator/metrics', 'metrics'],
  ['/actuator/prometheus', 'metrics'],
  ['/stats', 'metrics'],
  ['/v0', 'version'],
  ['/v1', 'version'],
  ['/api/v0', 'version'],
  ['/api/v1', 'version'],
  ['/api/v2', 'version'],
  ['/old', 'version'],
  ['/beta', 'version'],
];
const SECRET_LIKE = /(secret|password|passwd|private[_-]?key|api[_-]?key|token|database_url|aws_|jwt)/i;

function isDocumented(ctx: ScanContext, path: string): boolean {
  return ctx.operations.some(
    (o) => o.origin === 'openapi' && ctx.operationOf(o.method, new URL(path, ctx.target).toString()) === o,
  );
}

async function knownPaths(ctx: ScanContext) {
  const marker = await ctx.send(ANONYMOUS, 'GET', `/rampart-scan-${ctx.runId}-does-not-exist`);
  let found = 0;
  for (const [path, kind] of PROBES) {
    if (ctx.isExcluded('GET', path) || ctx.operations.some((o) => o.method === 'GET' && o.path === path)) continue;
    const x = await ctx.send(ANONYMOUS, 'GET', path);
    // A server that answers 2xx for anything (an SPA fallback) says nothing about this path.
    if (!isOk(x) || (isOk(marker) && similarity(x, marker) > 0.9)) continue;
    found += 1;
    report(ctx, path, kind, x);
  }
  if (found === 0)
    ctx.pass(
      'known-paths',
      'API9',
      `none of ${PROBES.length} documentation, debug, metrics and old-version paths answers anonymously`,
    );
}

function report(ctx: ScanContext, path: string, kind: Kind, x: HttpExchange) {
  const key = `GET ${path}`;
  const documented = isDocumented(ctx, path) ? '' : ' and is not in the API documentation';
  if (kind === 'docs')
    ctx.report('API9-DOCS-EXPOSED', {
      operationKey: key,
      message: `${key} publishes API documentation anonymously (${statusOf(x)}).`,
      evidence: [x],
    });
  else if (kind === 'metrics')
    ctx.report('API9-METRICS-EXPOSED', {
      operationKey: key,
      message: `${key} answers metrics anonymously (${statusOf(x)})${documented}.`,
      evidence: [x],
    });
  else if (kind === 'debug') {
    const secrets = SECRET_LIKE.test(x.response!.body);
    ctx.report('API9-DEBUG-ENDPOINT', {
      operationKey: key,
      severity: secrets ? 'high' : 'medium',
      message: `${key} answers anonymously (${statusOf(x)})${documented}${secrets ? '; its body names secrets or credentials' : ''}.`,
      evidence: [x],
    });
  } else
    ctx.report('API9-UNDOCUMENTED-OPERATION', {
      operationKey: key,
      severity: 'low',
      message: `${key} (an old or pre-release version prefix) answers anonymously (${statusOf(x)})${documented}.`,
      evidence: [x],
    });
}

/** Inventory routes missing from the OpenAPI document that answer (with both inputs given). */
async function undocumented(ctx: ScanContext) {
  const hasSpec = ctx.operations.some((o) => o.origin === 'openapi');
  const extra = ctx.operations.filter((o) => o.origin === 'inventory');
  if (!hasSpec || extra.length === 0)
    return ctx.skip('undocumented', 'API9', 'needs both --openapi and --inventory to compare');
  const who = ctx.victim ?? ANONYMOUS;
  // Documentation routes are left out of the documents they serve on purpose: the known-paths
  // probe reports them (as documentation exposed), not as undocumented operations.
  const docs = /^\/(docs|api-docs|swagger|openapi|redoc|graphiql)([-./]|$)/i;
  for (const op of extra.filter((o) => o.method === 'GET' && !docs.test(o.path))) {
    const path = ctx.pathOn(op, ctx.objectFor(op, who.name));
    if (!path || ctx.isExcluded('GET', op.path)) continue;
    const x = await ctx.send(who, 'GET', path);
    if (x.response && x.response.status !== 404 && x.response.status !== 405)
      ctx.report('API9-UNDOCUMENTED-OPERATION', {
        operation: op,
        message: `${op.key} is a live route (inventory) that the OpenAPI document does not list; it answered ${statusOf(x)}.`,
        evidence: [x],
      });
  }
}

async function deprecatedAlive(ctx: ScanContext) {
  const who = ctx.victim ?? ANONYMOUS;
  const ops = ctx.usable().filter((o) => o.deprecated && o.method === 'GET');
  if (ops.length === 0) return ctx.skip('deprecated', 'API9', 'no GET operation is documented as deprecated');
  for (const op of ops) {
    const path = ctx.pathOn(op, ctx.objectFor(op, who.name));
    if (!path) continue;
    const x = await ctx.send(who, 'GET', path);
    if (!isOk(x)) {
      ctx.pass('deprecated', 'API9', `deprecated and answering ${statusOf(x)}`, op);
      continue;
    }
    const sunsetHeader = x.response!.headers.sunset;
    const sunset = op.sunset ?? sunsetHeader;
    const past = sunset !== undefined && Date.parse(sunset) < Date.now();
    const announced = x.response!.headers.deprecation !== undefined || sunsetHeader !== undefined;
    ctx.report('API9-DEPRECATED-ALIVE', {
      operation: op,
      severity: past ? 'medium' : announced ? 'info' : 'low',
      message: `${op.key} is deprecated and still answers ${statusOf(x)}${past ? `, after its sunset (${sunset})` : sunset ? ` (sunset ${sunset})` : ''}${announced ? '; the answer announces it (Deprecation/Sunset headers)' : '; the answer does not announce it (no Deprecation or Sunset header)'}.`,
      evidence: [x],
    });
  }
}

/**
 * API9: documentation, debug, metrics and old-version paths answering anonymously (with a
 * soft-404 control), inventory routes the OpenAPI document lacks, and deprecated operations still
 * answering (worse after their sunset).
 *
 * @internal
 */
export const inventoryCheck: ScanCheck = {
  id: 'inventory',
  owasp: 'API9',
  title: 'Inventory (exposed debug/docs/metrics, undocumented and deprecated operations)',
  async run(ctx) {
    await knownPaths(ctx);
    await undocumented(ctx);
    await deprecatedAlive(ctx);
  },
};
