import { createPublicKey, randomUUID, type JsonWebKey } from 'node:crypto';
import { readPath } from '../identities';
import { ANONYMOUS, type Identity, type ScanContext } from '../scan-context';
import type { ApiOperation, HttpExchange } from '../scan.types';
import { isOk, jsonBody, statusOf, type ScanCheck } from './check';
import {
  decodeJwt,
  findWeakSecret,
  foreignSignature,
  signHs,
  tamperedPayload,
  unsigned,
  type DecodedJwt,
} from './jwt-tamper.util';

/** Failed logins sent before concluding that nothing limits them. */
const BRUTE_FORCE_TRIES = 12;
/** Published default accounts tried with --default-credentials when the config lists none. */
const DEFAULT_CREDENTIALS = [
  { username: 'admin', password: 'admin' },
  { username: 'admin', password: 'password' },
  { username: 'admin', password: 'admin123' },
  { username: 'root', password: 'root' },
  { username: 'test', password: 'test' },
  { username: 'user', password: 'user' },
];

interface Probe {
  op: ApiOperation;
  path: string;
}

/** A protected GET that answers the victim and refuses anonymous callers and a garbage token. */
async function findProbe(ctx: ScanContext, victim: Identity): Promise<Probe | undefined> {
  const candidates = ctx
    .usable()
    .filter((o) => o.method === 'GET' && o.secured !== false)
    .sort((a, b) => a.pathParams.length - b.pathParams.length)
    .slice(0, 8);
  for (const op of candidates) {
    const path = ctx.pathOn(op, ctx.objectFor(op, victim.name));
    if (!path) continue;
    if (!isOk(await ctx.send(victim, 'GET', path))) continue;
    const anon = await ctx.send(ANONYMOUS, 'GET', path);
    if (anon.response?.status !== 401 && anon.response?.status !== 403) continue;
    const garbage = await ctx.send(withToken(victim, 'rampart.invalid.token'), 'GET', path);
    if (!isOk(garbage)) return { op, path };
  }
  return undefined;
}

function withToken(identity: Identity, token: string): Identity {
  const header = identity.tokenHeader ?? 'Authorization';
  const headers = Object.fromEntries(
    Object.entries(identity.headers).filter(([k]) => k.toLowerCase() !== header.toLowerCase()),
  );
  return {
    ...identity,
    name: `${identity.name} (forged token)`,
    headers: { ...headers, [header]: `${identity.tokenPrefix ?? 'Bearer '}${token}` },
  };
}

async function noAuth(ctx: ScanContext, victim: Identity | undefined) {
  const ops = ctx
    .usable()
    .filter((o) => o.secured === true && o.method === 'GET')
    .slice(0, 60);
  if (ops.length === 0)
    return ctx.skip('no-auth', 'API2', 'no GET operation is documented as requiring authentication');
  for (const op of ops) {
    const path = ctx.pathOn(op, victim && ctx.objectFor(op, victim.name));
    if (!path) {
      ctx.skip('no-auth', 'API2', 'no object id to fill the path with', op);
      continue;
    }
    const anon = await ctx.send(ANONYMOUS, 'GET', path);
    if (!isOk(anon)) ctx.pass('no-auth', 'API2', `refused without credentials (${statusOf(anon)})`, op);
    else
      ctx.report('API2-NO-AUTH', {
        operation: op,
        message: `${op.key} is documented as requiring authentication but answered ${statusOf(anon)} without credentials.`,
        evidence: [anon],
      });
  }
}

async function jwtAttacks(ctx: ScanContext, victim: Identity, probe: Probe, jwt: DecodedJwt) {
  const { op, path } = probe;
  const attempt = async (token: string) => ctx.send(withToken(victim, token), 'GET', path);
  const accepted = async (ruleId: string, label: string, tokens: string[]) => {
    for (const token of tokens) {
      const x = await attempt(token);
      if (isOk(x)) {
        ctx.report(ruleId, {
          operation: op,
          message: `${op.key} accepted ${victim.name}'s token ${label} (${statusOf(x)}).`,
          evidence: [x],
        });
        return;
      }
    }
    ctx.pass(`jwt-${ruleId}`, 'API2', `refused a token ${label}`, op);
  };
  await accepted(
    'API2-JWT-ALG-NONE',
    'rewritten as unsigned ("alg": "none")',
    ['none', 'None', 'NONE'].map((alg) => unsigned({ ...jwt.header, alg }, jwt.payload)),
  );
  await accepted('API2-JWT-SIGNATURE-NOT-VERIFIED', 'with its signature removed', [`${jwt.parts[0]}.${jwt.parts[1]}.`]);
  await accepted('API2-JWT-SIGNATURE-NOT-VERIFIED', 'signed with a foreign key', [foreignSignature(jwt)]);
  await accepted('API2-JWT-SIGNATURE-NOT-VERIFIED', 'with a changed payload and the original signature', [
    tamperedPayload(jwt),
  ]);
  await accepted('API2-JWT-KEY-INJECTION', 'with "kid" pointing at /dev/null and an empty HMAC key', [
    signHs({ alg: 'HS256', typ: 'JWT', kid: '../../../../../../../dev/null' }, jwt.payload, ''),
  ]);
  const tag = `jku-${ctx.runId}`;
  const jku = unsigned(
    {
      alg: 'RS256',
      typ: 'JWT',
      jku: ctx.options.canary.url(`${tag}/jwks.json`),
      x5u: ctx.options.canary.url(`${tag}/cert.pem`),
    },
    jwt.payload,
  );
  const x = await attempt(`${jku}${Buffer.from(randomUUID()).toString('base64url')}`);
  const fetched = await ctx.options.canary.hitsFor(tag);
  if (isOk(x) || fetched.length > 0)
    ctx.report('API2-JWT-KEY-INJECTION', {
      operation: op,
      severity: isOk(x) ? 'critical' : 'high',
      message: `${op.key} ${fetched.length > 0 ? `fetched the key URL named in the token's jku/x5u header (${fetched[0].path})` : 'accepted a token whose jku/x5u header names a foreign key'}; the token was ${isOk(x) ? 'accepted' : `refused (${statusOf(x)})`}.`,
      evidence: [x],
    });
  else ctx.pass('jwt-jku', 'API2', 'ignored jku/x5u key URLs in the token header', op);
  const secret = findWeakSecret(jwt);
  if (secret === undefined)
    ctx.pass(
      'jwt-weak-secret',
      'API2',
      'the token does not verify with any published default secret (offline test)',
      op,
    );
  else {
    const forged = await attempt(
      signHs(jwt.header, { ...jwt.payload, exp: Math.floor(Date.now() / 1000) + 3600 }, secret),
    );
    ctx.report('API2-JWT-WEAK-SECRET', {
      operation: op,
      message: `${victim.name}'s token verifies with a published default secret ("${secret.slice(0, 2)}…", ${secret.length} characters); a token forged with it answered ${statusOf(forged)}.`,
      evidence: [forged],
    });
  }
  if (jwt.payload.exp === undefined)
    ctx.skip('jwt-exp', 'API2', `${victim.name}'s token has no exp claim: it never expires (review)`, op);
}

/** Public keys the target publishes (JWKS at the usual same-origin paths), as PEM text. */
async function publishedKeys(ctx: ScanContext): Promise<string[]> {
  const pems: string[] = [];
  for (const path of ['/.well-known/jwks.json', '/jwks.json', '/.well-known/jwks']) {
    const keys = (jsonBody(await ctx.send(ANONYMOUS, 'GET', path)) as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(keys)) continue;
    for (const jwk of keys.slice(0, 5))
      try {
        pems.push(
          createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
            .export({ type: 'spki', format: 'pem' })
            .toString(),
        );
      } catch {
        // Not a public key this runtime can read (or a private one): nothing to try with it.
      }
    if (pems.length > 0) break;
  }
  return pems;
}

/** RS/ES/PS tokens re-signed with HS256 using the published public key as the HMAC secret. */
async function algorithmConfusion(ctx: ScanContext, victim: Identity, probe: Probe, jwt: DecodedJwt) {
  if (!/^(RS|PS|ES)\d{3}$/.test(String(jwt.header.alg)))
    return ctx.skip(
      'jwt-confusion',
      'API2',
      `the token is ${String(jwt.header.alg)}: HS/RS confusion applies to public-key tokens`,
      probe.op,
    );
  const pems = await publishedKeys(ctx);
  if (pems.length === 0)
    return ctx.skip(
      'jwt-confusion',
      'API2',
      'no JWKS published at /.well-known/jwks.json, /jwks.json or /.well-known/jwks',
      probe.op,
    );
  for (const pem of pems)
    for (const secret of [pem, pem.trimEnd()]) {
      const x = await ctx.send(
        withToken(victim, signHs({ ...jwt.header, alg: 'HS256' }, jwt.payload, secret)),
        'GET',
        probe.path,
      );
      if (isOk(x))
        return ctx.report('API2-JWT-ALGORITHM-CONFUSION', {
          operation: probe.op,
          message: `${probe.op.key} accepted ${victim.name}'s ${String(jwt.header.alg)} token re-signed with HS256 using the published public key as the secret (${statusOf(x)}).`,
          evidence: [x],
        });
    }
  ctx.pass(
    'jwt-confusion',
    'API2',
    `HS256 tokens signed with the ${pems.length} published public key(s) were refused`,
    probe.op,
  );
}

async function tokenInQuery(ctx: ScanContext, victim: Identity, probe: Probe) {
  const sep = probe.path.includes('?') ? '&' : '?';
  for (const name of ['access_token', 'token']) {
    const x = await ctx.send(ANONYMOUS, 'GET', `${probe.path}${sep}${name}=${encodeURIComponent(victim.token!)}`);
    if (isOk(x)) {
      ctx.report('API2-TOKEN-IN-QUERY', {
        operation: probe.op,
        message: `${probe.op.key} accepted ${victim.name}'s token from ?${name}= without an Authorization header.`,
        evidence: [x],
      });
      return;
    }
  }
  ctx.pass('token-in-query', 'API2', 'tokens in ?access_token= and ?token= are refused', probe.op);
}

function limited(x: HttpExchange): boolean {
  const status = x.response?.status;
  return status === 429 || status === 423 || x.response?.headers['retry-after'] !== undefined;
}

function advertisesLimit(x: HttpExchange): boolean {
  return Object.keys(x.response?.headers ?? {}).some((h) => /^(x-)?ratelimit/.test(h));
}

/** The login template: the config's `login` section, else the attacker's login request. */
function loginTemplate(ctx: ScanContext) {
  const owner =
    ctx.config.identities.find((i) => i.name === ctx.attacker?.name && i.login) ??
    ctx.config.identities.find((i) => i.login);
  if (!owner?.login) return undefined;
  const fields = ctx.config.login ?? { usernameField: 'username', passwordField: 'password' };
  return {
    method: ctx.config.login?.method ?? owner.login.method,
    path: ctx.config.login?.path ?? owner.login.path,
    body: owner.login.body,
    token: owner.login.token,
    usernameField: fields.usernameField,
    passwordField: fields.passwordField,
  };
}

async function bruteForce(ctx: ScanContext) {
  const login = loginTemplate(ctx);
  if (!login) return ctx.skip('brute-force', 'API2', 'no login request in --config (identities with login, or login:)');
  if (ctx.isExcluded(login.method, login.path)) return ctx.skip('brute-force', 'API2', `${login.path} is excluded`);
  // A made-up account by default, so no real account is locked out (login.username overrides).
  const username = ctx.config.login?.username ?? `rampart-scan-${ctx.runId}`;
  const tries: HttpExchange[] = [];
  for (let i = 0; i < BRUTE_FORCE_TRIES; i++) {
    const x = await ctx.send(ANONYMOUS, login.method, login.path, {
      body: { ...login.body, [login.usernameField]: username, [login.passwordField]: `wrong-${ctx.runId}-${i}` },
    });
    tries.push(x);
    if (limited(x))
      return ctx.pass('brute-force', 'API2', `failed logins were limited after ${i + 1} tries (${statusOf(x)})`);
    if (isOk(x))
      return ctx.skip('brute-force', 'API2', `a wrong password answered ${statusOf(x)}: cannot tell failures apart`);
  }
  if (tries.some(advertisesLimit))
    return ctx.pass(
      'brute-force',
      'API2',
      `no 429 within ${BRUTE_FORCE_TRIES} failed logins, but the answers advertise a rate limit (RateLimit headers)`,
    );
  ctx.report('API2-NO-BRUTE-FORCE-PROTECTION', {
    operationKey: `${login.method} ${login.path}`,
    message: `${BRUTE_FORCE_TRIES} failed logins in a row for the account "${username}" were all answered (${statusOf(tries[tries.length - 1])}) with no 429, lockout, Retry-After or rate-limit header.`,
    evidence: [tries[0], tries[tries.length - 1]],
  });
}

async function defaultCredentials(ctx: ScanContext) {
  const list =
    ctx.config.defaultCredentials.length > 0
      ? ctx.config.defaultCredentials
      : ctx.options.defaultCredentials
        ? DEFAULT_CREDENTIALS
        : [];
  if (list.length === 0)
    return ctx.skip('default-credentials', 'API2', 'opt-in: --default-credentials or defaultCredentials: in --config');
  const login = loginTemplate(ctx);
  if (!login) return ctx.skip('default-credentials', 'API2', 'no login request in --config');
  for (const cred of list) {
    const x = await ctx.send(ANONYMOUS, login.method, login.path, {
      body: { ...login.body, [login.usernameField]: cred.username, [login.passwordField]: cred.password },
    });
    if (isOk(x) && typeof readPath(jsonBody(x), login.token) === 'string') {
      ctx.report('API2-DEFAULT-CREDENTIALS', {
        operationKey: `${login.method} ${login.path}`,
        message: `The default account "${cred.username}" logged in with a published default password.`,
        evidence: [x],
      });
      return;
    }
  }
  ctx.pass('default-credentials', 'API2', `${list.length} default username/password pairs refused`);
}

/**
 * API2, requests with credentials: operations documented as protected must refuse anonymous
 * callers; the victim's JWT, tampered (alg none, no or foreign signature, changed payload, kid and
 * jku/x5u injection) must be refused on a protected operation that refuses a garbage token; weak
 * HMAC secrets are tried offline; tokens must not be read from the query string.
 *
 * @internal
 */
export const authenticationCheck: ScanCheck = {
  id: 'authentication',
  owasp: 'API2',
  title: 'Authentication (no token, JWT attacks, token in query)',
  async run(ctx) {
    await noAuth(ctx, ctx.victim);
    const victim = ctx.victim ?? [...ctx.identities.values()][0];
    if (!victim?.token) return ctx.skip('jwt', 'API2', 'needs an identity with a bearer token in --config');
    const probe = await findProbe(ctx, victim);
    if (!probe)
      return ctx.skip(
        'jwt',
        'API2',
        'no GET operation answers the identity and refuses anonymous callers and a garbage token',
      );
    const jwt = decodeJwt(victim.token);
    if (jwt) {
      await jwtAttacks(ctx, victim, probe, jwt);
      await algorithmConfusion(ctx, victim, probe, jwt);
    } else ctx.skip('jwt', 'API2', 'the bearer token is not a JWT (opaque tokens: JWT attacks do not apply)');
    await tokenInQuery(ctx, victim, probe);
  },
};

/**
 * API2, login: failed logins must be throttled or locked out within a bounded number of tries;
 * default credentials (opt-in list) must not log in. Runs last: it may lock an account out.
 *
 * @internal
 */
export const loginCheck: ScanCheck = {
  id: 'login',
  owasp: 'API2',
  title: 'Login brute force and default credentials',
  async run(ctx) {
    await defaultCredentials(ctx);
    await bruteForce(ctx);
  },
};
