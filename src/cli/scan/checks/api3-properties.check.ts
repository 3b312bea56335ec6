import { isDeepStrictEqual } from 'node:util';
import type { ScanContext } from '../scan-context';
import type { ApiOperation, HttpExchange } from '../scan.types';
import { schemaProperties } from '../sample-values.util';
import { isOk, jsonBody, statusOf, walkJson, type ScanCheck } from './check';

/** Fields a client must never set, with the value that would prove the assignment. */
function privilegedFields(runId: string): Record<string, unknown> {
  return {
    role: 'admin',
    roles: ['admin'],
    isAdmin: true,
    is_admin: true,
    admin: true,
    verified: true,
    emailVerified: true,
    permissions: ['*'],
    tier: 'enterprise',
    balance: 1_000_000,
    credits: 1_000_000,
    ownerId: `rampart-${runId}`,
  };
}

interface Target {
  op: ApiOperation;
  path: string;
  /** How to re-read what was written: a fixed path, or the item path filled with the created id. */
  reread: (written: HttpExchange) => string | undefined;
}

function targets(ctx: ScanContext, owner: string): Target[] {
  const out: Target[] = [];
  const gets = ctx.usable().filter((o) => o.method === 'GET');
  const flows = new Set(ctx.config.sensitiveFlows);
  for (const op of ctx.usable()) {
    if (!['POST', 'PUT', 'PATCH'].includes(op.method) || flows.has(op.key) || !ctx.bodyFor(op)) continue;
    if (op.method === 'POST') {
      const item = gets.find(
        (g) =>
          g.pathParams.length === 1 &&
          g.path.startsWith(`${op.path}/{`) &&
          g.path.split('/').length === op.path.split('/').length + 1,
      );
      const path = ctx.pathOn(op, ctx.objectFor(op, owner));
      if (!item || !path) continue;
      const param = item.pathParams[0];
      out.push({
        op,
        path,
        reread: (written) => {
          const body = jsonBody(written) as Record<string, unknown> | undefined;
          const id = body?.[param] ?? body?.id ?? written.response?.headers.location?.split('/').pop();
          return typeof id === 'string' || typeof id === 'number'
            ? item.path.replace(`{${param}}`, encodeURIComponent(String(id)))
            : undefined;
        },
      });
    } else {
      const object = ctx.objectFor(op, owner);
      if (op.pathParams.length > 0 && (!object || (!object.created && !ctx.options.allowDestructive))) continue;
      const path = ctx.pathOn(op, object);
      if (!path || !gets.some((g) => g.path === op.path)) continue;
      out.push({ op, path, reread: () => path });
    }
  }
  return out;
}

async function massAssignment(ctx: ScanContext) {
  const victim = ctx.victim ?? [...ctx.identities.values()][0];
  if (!victim) return ctx.skip('mass-assignment', 'API3', 'needs an identity in --config');
  const list = targets(ctx, victim.name);
  if (list.length === 0)
    return ctx.skip('mass-assignment', 'API3', 'no create/update operation with a way to re-read what it wrote');
  for (const target of list) {
    const declared = schemaProperties(target.op.requestSchema);
    const injected = Object.fromEntries(Object.entries(privilegedFields(ctx.runId)).filter(([k]) => !(k in declared)));
    const body = { ...(ctx.bodyFor(target.op) as Record<string, unknown>), ...injected };
    const write = await ctx.send(victim, target.op.method, target.path, { body, headers: ctx.headersFor(target.op) });
    if (!isOk(write)) {
      ctx.pass('mass-assignment', 'API3', `undeclared fields refused (${statusOf(write)})`, target.op);
      continue;
    }
    const path = target.reread(write);
    if (!path) {
      ctx.skip(
        'mass-assignment',
        'API3',
        'accepted undeclared fields; no id in the answer to re-read the object',
        target.op,
      );
      continue;
    }
    const reread = await ctx.send(victim, 'GET', path);
    const stored = jsonBody(reread);
    const persisted = Object.keys(injected).filter(
      (k) =>
        stored !== null &&
        typeof stored === 'object' &&
        isDeepStrictEqual((stored as Record<string, unknown>)[k], injected[k]),
    );
    if (persisted.length === 0) {
      ctx.pass('mass-assignment', 'API3', `undeclared fields accepted (${statusOf(write)}) but not stored`, target.op);
      continue;
    }
    ctx.report('API3-MASS-ASSIGNMENT', {
      operation: target.op,
      message: `${target.op.key} stored undeclared field(s) ${persisted.map((k) => `${k}=${JSON.stringify(injected[k])}`).join(', ')} sent by ${victim.name}; the re-read GET ${path} returns them.`,
      evidence: [write, reread],
    });
  }
}

const SENSITIVE_KEY =
  /^(password|passwd|pwd|password_?hash|passwordhash|hashed_?password|salt|secret|client_?secret|api_?secret|private_?key|ssn|credit_?card(_?number)?|card_?number|cvv|pin_?code|otp_?secret|totp_?secret|mfa_?secret)$/i;
const HASH_VALUE =
  /^(\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2(id|i|d)\$.+|\$scrypt\$.+|pbkdf2_sha\d+\$.+|\$pbkdf2-sha\d+\$.+|[a-f0-9]{32}:[a-f0-9]{64})$/;

/** Sensitive keys or password-hash values in answers the scan received (passive). */
function exposure(ctx: ScanContext) {
  const seen = new Set<string>();
  for (const x of ctx.client.exchanges) {
    if (!isOk(x)) continue;
    const op = ctx.operationOf(x.request.method, x.request.url);
    const key = op?.key ?? `${x.request.method} ${new URL(x.request.url).pathname}`;
    if (seen.has(key)) continue;
    const hits: string[] = [];
    walkJson(jsonBody(x), (k, v, path) => {
      if (hits.length < 5 && typeof v === 'string' && v !== '' && (SENSITIVE_KEY.test(k) || HASH_VALUE.test(v)))
        hits.push(path);
    });
    if (hits.length === 0) continue;
    seen.add(key);
    ctx.report('API3-SENSITIVE-DATA-EXPOSURE', {
      operation: op,
      operationKey: key,
      message: `${key} returned sensitive values to ${x.identity}: ${hits.join(', ')}.`,
      evidence: [x],
    });
  }
  if (seen.size === 0)
    ctx.pass('exposure', 'API3', `no password hash, secret or card number in ${ctx.client.exchanges.length} answers`);
}

/** Fields outside the documented response schema (passive; only where a schema lists properties). */
function undocumentedFields(ctx: ScanContext) {
  const seen = new Set<string>();
  for (const x of ctx.client.exchanges) {
    const op = isOk(x) ? ctx.operationOf(x.request.method, x.request.url) : undefined;
    if (!op?.responseSchema || seen.has(op.key)) continue;
    const schema = op.responseSchema.type === 'array' ? op.responseSchema.items : op.responseSchema;
    const declared = schemaProperties(schema);
    if (!schema || Object.keys(declared).length === 0 || schema.additionalProperties === true) continue;
    const body = jsonBody(x);
    const first = Array.isArray(body) ? body[0] : body;
    if (!first || typeof first !== 'object') continue;
    const extra = Object.keys(first).filter((k) => !(k in declared));
    if (extra.length === 0) continue;
    seen.add(op.key);
    ctx.report('API3-UNDOCUMENTED-FIELDS', {
      operation: op,
      message: `${op.key} returned field(s) its response schema does not declare: ${extra.slice(0, 10).join(', ')}.`,
      evidence: [x],
    });
  }
}

/**
 * API3: mass assignment (privileged fields the request schema does not declare, then a re-read
 * proves whether they were stored) and, over every answer the scan received, secrets and password
 * hashes and fields the response schema does not declare.
 *
 * @internal
 */
export const massAssignmentCheck: ScanCheck = {
  id: 'mass-assignment',
  owasp: 'API3',
  title: 'Mass assignment',
  run: massAssignment,
};

/** API3 passive checks, run after every other check. @internal */
export const exposureCheck: ScanCheck = {
  id: 'exposure',
  owasp: 'API3',
  title: 'Excessive data exposure',
  async run(ctx) {
    exposure(ctx);
    undocumentedFields(ctx);
  },
};
