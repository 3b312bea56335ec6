import { randomInt } from 'node:crypto';
import { ANONYMOUS, type Identity, type ScanContext } from '../scan-context';
import type { ApiOperation, HttpExchange } from '../scan.types';
import { schemaProperties } from '../sample-values.util';
import { isOk, jsonBody, statusOf, type ScanCheck } from './check';

/** Requests in the burst before concluding that nothing limits them. */
export const BURST_SIZE = 60;
const PAGE_PARAMS = ['limit', 'pageSize', 'page_size', 'per_page', 'perPage', 'size', 'take', 'count'];
const OVERSIZE_BYTES = 2 * 1024 * 1024;

const limitedBy429 = (x: HttpExchange) => x.response?.status === 429;
const advertises = (x: HttpExchange) =>
  Object.keys(x.response?.headers ?? {}).some((h) => /^(x-)?ratelimit/.test(h) || h === 'retry-after');

/** A cheap GET that answers 2xx, with the identity to call it as. */
async function burstTarget(ctx: ScanContext): Promise<{ op: ApiOperation; path: string; who: Identity } | undefined> {
  const who = ctx.victim ?? [...ctx.identities.values()][0] ?? ANONYMOUS;
  for (const op of ctx
    .usable()
    .filter((o) => o.method === 'GET' && !o.deprecated)
    .sort((a, b) => a.pathParams.length - b.pathParams.length)
    .slice(0, 5)) {
    const path = ctx.pathOn(op, ctx.objectFor(op, who.name));
    if (path && isOk(await ctx.send(who, 'GET', path))) return { op, path, who };
  }
  return undefined;
}

async function burst(ctx: ScanContext) {
  const target = await burstTarget(ctx);
  if (!target) return ctx.skip('rate-limit', 'API4', 'no GET operation answered 2xx to burst');
  const size = Math.min(BURST_SIZE, Math.max(0, ctx.client.remaining - 20));
  if (size < 20)
    return ctx.skip('rate-limit', 'API4', 'not enough request budget left for a meaningful burst', target.op);
  const results = await Promise.all(Array.from({ length: size }, () => ctx.send(target.who, 'GET', target.path)));
  const first429 = results.find(limitedBy429);
  if (first429) {
    ctx.pass(
      'rate-limit',
      'API4',
      `429 within a burst of ${size} (${results.filter(limitedBy429).length} limited)`,
      target.op,
    );
    return spoofedAddresses(ctx, target.op, target.path, target.who);
  }
  if (results.some(advertises))
    return ctx.pass(
      'rate-limit',
      'API4',
      `no 429 within ${size} requests, but the answers advertise a rate limit (RateLimit headers)`,
      target.op,
    );
  ctx.report('API4-NO-RATE-LIMIT', {
    operation: target.op,
    message: `${size} requests to ${target.op.key} as ${target.who.name} were all served (${statusOf(results[results.length - 1])}) with no 429 and no RateLimit/X-RateLimit/Retry-After header.`,
    evidence: [results[0], results[results.length - 1]],
  });
}

/** After a 429: does a new X-Forwarded-For / X-Real-IP per request reset the limit? */
async function spoofedAddresses(ctx: ScanContext, op: ApiOperation, path: string, who: Identity) {
  const tries: HttpExchange[] = [];
  for (let i = 0; i < 8; i++) {
    const ip = `203.0.113.${randomInt(1, 254)}`;
    tries.push(await ctx.send(who, 'GET', path, { headers: { 'X-Forwarded-For': ip, 'X-Real-IP': ip } }));
  }
  const served = tries.filter(isOk);
  if (served.length >= 6)
    ctx.report('API4-RATE-LIMIT-BYPASS', {
      operation: op,
      message: `After the limit answered 429, ${served.length} of 8 requests with a fresh X-Forwarded-For/X-Real-IP each were served: the limiter keys on a client-supplied address. (If the scanner itself runs on an address the API trusts as a proxy, this is expected.)`,
      evidence: [served[0], served[served.length - 1]],
    });
  else
    ctx.pass(
      'rate-limit-bypass',
      'API4',
      `spoofed X-Forwarded-For/X-Real-IP did not reset the limit (${8 - served.length} of 8 still limited)`,
      op,
    );
}

async function pageSize(ctx: ScanContext) {
  const who = ctx.victim ?? [...ctx.identities.values()][0] ?? ANONYMOUS;
  const ops = ctx.usable().filter((o) => o.method === 'GET' && o.queryParams.some((q) => PAGE_PARAMS.includes(q.name)));
  if (ops.length === 0) return ctx.skip('page-size', 'API4', 'no GET operation documents a page-size parameter');
  for (const op of ops.slice(0, 10)) {
    const param = op.queryParams.find((q) => PAGE_PARAMS.includes(q.name))!.name;
    const base = ctx.pathOn(op, ctx.objectFor(op, who.name));
    if (!base) continue;
    const x = await ctx.send(who, 'GET', `${base}${base.includes('?') ? '&' : '?'}${param}=100000`);
    if (!isOk(x)) {
      ctx.pass('page-size', 'API4', `${param}=100000 refused (${statusOf(x)})`, op);
      continue;
    }
    const body = jsonBody(x);
    const items = Array.isArray(body) ? body.length : undefined;
    const echoed =
      body && typeof body === 'object' && !Array.isArray(body)
        ? Object.entries(body).some(([k, v]) => PAGE_PARAMS.includes(k) && Number(v) === 100000)
        : false;
    if ((items ?? 0) > 1000 || echoed)
      ctx.report('API4-UNBOUNDED-PAGE-SIZE', {
        operation: op,
        message: `${op.key}?${param}=100000 was honoured (${echoed ? 'the answer echoes the page size' : `${items} items returned`}).`,
        evidence: [x],
      });
    else
      ctx.pass(
        'page-size',
        'API4',
        `${param}=100000 answered ${statusOf(x)} without evidence that it was honoured`,
        op,
      );
  }
}

async function oversizeBody(ctx: ScanContext) {
  const who = ctx.victim ?? [...ctx.identities.values()][0] ?? ANONYMOUS;
  const flows = new Set(ctx.config.sensitiveFlows);
  const op = ctx
    .usable()
    .find(
      (o) => o.method === 'POST' && o.requestSchema && !flows.has(o.key) && ctx.pathOn(o, ctx.objectFor(o, who.name)),
    );
  if (!op) return ctx.skip('oversize-body', 'API4', 'no POST operation with a JSON body to send');
  const body = { ...(ctx.bodyFor(op) as Record<string, unknown>) };
  const field =
    Object.entries(schemaProperties(op.requestSchema)).find(([, s]) => s.type === 'string')?.[0] ?? 'rampart_padding';
  body[field] = 'x'.repeat(OVERSIZE_BYTES);
  const x = await ctx.send(who, 'POST', ctx.pathOn(op, ctx.objectFor(op, who.name))!, {
    body,
    headers: ctx.headersFor(op),
  });
  if (isOk(x))
    ctx.report('API4-OVERSIZE-BODY', {
      operation: op,
      message: `${op.key} accepted a ${OVERSIZE_BYTES / 1024 / 1024} MiB JSON body (${statusOf(x)}).`,
      evidence: [x],
    });
  else ctx.pass('oversize-body', 'API4', `a ${OVERSIZE_BYTES / 1024 / 1024} MiB body was refused (${statusOf(x)})`, op);
}

/**
 * API4: page sizes (`limit=100000` must be refused or capped), oversized bodies (2 MiB), and a
 * bounded burst that must meet a 429 or advertised limits; after a 429, rotating
 * X-Forwarded-For/X-Real-IP must not reset the limit. Runs near the end: a 429 may slow the rest.
 *
 * @internal
 */
export const resourceCheck: ScanCheck = {
  id: 'resources',
  owasp: 'API4',
  title: 'Resource consumption (rate limits, page size, body size)',
  async run(ctx) {
    await pageSize(ctx);
    await oversizeBody(ctx);
    await burst(ctx);
  },
};
