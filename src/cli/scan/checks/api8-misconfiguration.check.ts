import { ANONYMOUS, type Identity, type ScanContext } from '../scan-context';
import type { HttpExchange } from '../scan.types';
import { isOk, statusOf, type ScanCheck } from './check';

const STACK_TRACE = [
  /\n\s+at [\w$.<>[\] ]+ \(?(\/|[A-Za-z]:\\|node:|file:)[^)\n]*:\d+:\d+\)?/,
  /\\n\s+at [\w$.<>[\] ]+ \(?(\/|[A-Za-z]:\\\\|node:|file:)[^)\n]*:\d+:\d+\)?/,
  /Traceback \(most recent call last\)/,
  /at [\w.$]+\([\w]+\.java:\d+\)/,
];
const SQL_ERROR = [
  /SQLSTATE\[/,
  /syntax error at or near/i,
  /\bORA-\d{5}\b/,
  /SQLITE_ERROR/,
  /ER_PARSE_ERROR/,
  /You have an error in your SQL syntax/i,
  /unterminated quoted string/i,
];
const LISTING = /<title>\s*(Index of \/|Directory listing for)|<h1>\s*Index of \//i;
const LISTING_PATHS = ['/', '/static/', '/public/', '/uploads/', '/files/', '/assets/'];

/** A GET that answers the identity (for CORS probing). */
async function corsTarget(ctx: ScanContext, who: Identity) {
  for (const op of ctx
    .usable()
    .filter((o) => o.method === 'GET')
    .sort((a, b) => a.pathParams.length - b.pathParams.length)
    .slice(0, 5)) {
    const path = ctx.pathOn(op, ctx.objectFor(op, who.name));
    if (path && isOk(await ctx.send(who, 'GET', path))) return { op, path };
  }
  return { op: undefined, path: '/' };
}

async function cors(ctx: ScanContext) {
  const who = ctx.victim ?? ANONYMOUS;
  const { op, path } = await corsTarget(ctx, who);
  const host = ctx.target.hostname;
  const origins = ['https://evil.example', 'null', `https://${host}.evil.example`, `https://evil${host}`];
  for (const origin of origins) {
    const x = await ctx.send(who, 'GET', path, { headers: { Origin: origin } });
    const allowed = x.response?.headers['access-control-allow-origin'];
    const credentials = x.response?.headers['access-control-allow-credentials'] === 'true';
    if (allowed !== origin) continue;
    ctx.report(credentials ? 'API8-CORS-REFLECTED-CREDENTIALS' : 'API8-CORS-REFLECTED', {
      operation: op,
      operationKey: op ? undefined : `GET ${path}`,
      message: `Origin: ${origin} was answered with Access-Control-Allow-Origin: ${allowed}${credentials ? ' and Access-Control-Allow-Credentials: true' : ''}.`,
      evidence: [x],
    });
    return;
  }
  ctx.pass('cors', 'API8', `foreign origins (${origins.join(', ')}) are not allowed`, op);
}

async function trace(ctx: ScanContext) {
  const marker = `rampart-trace-${ctx.runId}`;
  const x = await ctx.send(ANONYMOUS, 'TRACE', '/', { headers: { 'X-Rampart-Trace': marker } });
  if (isOk(x) && x.response!.body.includes(marker))
    ctx.report('API8-TRACE-ENABLED', {
      operationKey: 'TRACE /',
      message: `TRACE / echoed the request headers (${statusOf(x)}).`,
      evidence: [x],
    });
  else ctx.pass('trace', 'API8', `TRACE / answered ${statusOf(x)} without echoing the request`);
}

async function listings(ctx: ScanContext) {
  for (const path of LISTING_PATHS) {
    const x = await ctx.send(ANONYMOUS, 'GET', path);
    if (isOk(x) && LISTING.test(x.response!.body)) {
      ctx.report('API8-DIRECTORY-LISTING', {
        operationKey: `GET ${path}`,
        message: `GET ${path} answers a directory listing.`,
        evidence: [x],
      });
      return;
    }
  }
  ctx.pass('directory-listing', 'API8', `no directory listing at ${LISTING_PATHS.join(', ')}`);
}

/** Malformed and type-confused bodies to provoke error pages (the passive pass reads them). */
async function provokeErrors(ctx: ScanContext) {
  const who = ctx.victim ?? ANONYMOUS;
  const writes = ctx
    .usable()
    .filter((o) => ['POST', 'PUT', 'PATCH'].includes(o.method) && o.requestSchema)
    .slice(0, 8);
  for (const op of writes) {
    const object = ctx.objectFor(op, who.name);
    if (op.method !== 'POST' && !(object?.created || ctx.options.allowDestructive)) continue;
    const path = ctx.pathOn(op, object);
    if (!path) continue;
    await ctx.send(who, op.method, path, { body: '{"rampart": ', headers: { 'content-type': 'application/json' } });
    const body = ctx.bodyFor(op);
    if (body && typeof body === 'object')
      await ctx.send(who, op.method, path, {
        body: Object.fromEntries(Object.keys(body).map((k) => [k, { rampart: [1, { $gt: '' }] }])),
        headers: ctx.headersFor(op),
      });
  }
  const item = ctx.usable().find((o) => o.method === 'GET' && o.pathParams.length === 1);
  if (item) await ctx.send(who, 'GET', item.path.replace(/\{[^}]+\}/, encodeURIComponent(`'"><rampart${ctx.runId}`)));
}

/** Passive: every answer the scan received, for stack traces and SQL errors. */
function verboseErrors(ctx: ScanContext) {
  let found = 0;
  for (const x of ctx.client.exchanges) {
    const body = x.response?.body ?? '';
    const kind = STACK_TRACE.some((re) => re.test(body))
      ? 'a stack trace'
      : SQL_ERROR.some((re) => re.test(body))
        ? 'a database error'
        : undefined;
    if (!kind) continue;
    const op = ctx.operationOf(x.request.method, x.request.url);
    found += 1;
    ctx.report('API8-VERBOSE-ERRORS', {
      operation: op,
      operationKey: op ? undefined : `${x.request.method} ${new URL(x.request.url).pathname}`,
      message: `${x.request.method} ${new URL(x.request.url).pathname} answered ${statusOf(x)} with ${kind} in the body.`,
      evidence: [x],
    });
  }
  if (found === 0)
    ctx.pass('verbose-errors', 'API8', `no stack trace or database error in ${ctx.client.exchanges.length} answers`);
}

/** Passive: headers of the answers the scan received, one finding per problem (with a count). */
function headers(ctx: ScanContext) {
  const answered = ctx.client.exchanges.filter((x) => x.response);
  const authed = answered.filter((x) => x.identity !== 'anonymous' && isOk(x));
  const check = (ruleId: string, list: HttpExchange[], bad: (x: HttpExchange) => boolean, what: string) => {
    const failing = list.filter(bad);
    if (failing.length === 0)
      return ctx.pass(ruleId.replace(/^API8-/, '').toLowerCase(), 'API8', `${what}: none of ${list.length} answers`);
    const ops = [
      ...new Set(
        failing.map(
          (x) =>
            ctx.operationOf(x.request.method, x.request.url)?.key ??
            `${x.request.method} ${new URL(x.request.url).pathname}`,
        ),
      ),
    ];
    ctx.report(ruleId, {
      message: `${what}: ${failing.length} of ${list.length} answers, on ${ops.length} path(s) (${ops.slice(0, 5).join('; ')}${ops.length > 5 ? '…' : ''}).`,
      evidence: [failing[0]],
    });
  };
  check(
    'API8-MISSING-NOSNIFF',
    answered,
    (x) => x.response!.headers['x-content-type-options']?.toLowerCase() !== 'nosniff',
    'X-Content-Type-Options: nosniff missing',
  );
  check(
    'API8-CACHEABLE-AUTH-RESPONSE',
    authed,
    (x) => !/no-store|private|no-cache/i.test(x.response!.headers['cache-control'] ?? ''),
    'authenticated answer without Cache-Control no-store/private',
  );
  check(
    'API8-VERSION-BANNER',
    answered,
    (x) => x.response!.headers['x-powered-by'] !== undefined || /\d/.test(x.response!.headers.server ?? ''),
    'X-Powered-By or a versioned Server header',
  );
  if (ctx.target.protocol === 'https:')
    check(
      'API8-MISSING-HSTS',
      answered,
      (x) => x.response!.headers['strict-transport-security'] === undefined,
      'Strict-Transport-Security missing',
    );
  else ctx.skip('hsts', 'API8', 'HSTS is checked only on an https target');
}

/**
 * API8, active part: CORS with foreign, `null` and look-alike origins; TRACE echo; directory
 * listings; malformed and type-confused bodies to provoke error pages.
 *
 * @internal
 */
export const misconfigurationCheck: ScanCheck = {
  id: 'misconfiguration',
  owasp: 'API8',
  title: 'Security misconfiguration (CORS, TRACE, listings, errors)',
  async run(ctx) {
    await cors(ctx);
    await trace(ctx);
    await listings(ctx);
    await provokeErrors(ctx);
  },
};

/** API8, passive part over every answer: stack traces and SQL errors, security headers, banners. @internal */
export const responseHygieneCheck: ScanCheck = {
  id: 'response-hygiene',
  owasp: 'API8',
  title: 'Error verbosity and response headers',
  async run(ctx) {
    verboseErrors(ctx);
    headers(ctx);
  },
};
