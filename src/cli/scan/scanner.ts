import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Canary } from './canary';
import { bolaCheck } from './checks/api1-bola.check';
import { authenticationCheck, loginCheck } from './checks/api2-authentication.check';
import { exposureCheck, massAssignmentCheck } from './checks/api3-properties.check';
import { graphqlCheck } from './checks/api4-graphql.check';
import { resourceCheck } from './checks/api4-resources.check';
import { functionLevelCheck } from './checks/api5-function-level.check';
import { businessFlowCheck } from './checks/api6-business-flows.check';
import { ssrfCheck } from './checks/api7-ssrf.check';
import { misconfigurationCheck, responseHygieneCheck } from './checks/api8-misconfiguration.check';
import { inventoryCheck } from './checks/api9-inventory.check';
import type { ScanCheck } from './checks/check';
import { decodeJwt } from './checks/jwt-tamper.util';
import { BudgetExhaustedError, ScanHttpClient, type ClientLimits } from './http-client';
import { establishIdentity } from './identities';
import { loadInventory, toTemplate } from './inventory.loader';
import { seedObjects } from './object-seeding';
import { loadOpenApi } from './openapi.loader';
import type { ScanConfig } from './scan-config';
import { ScanContext } from './scan-context';
import { buildReport, type ScanReport } from './scan-report';
import type { ApiOperation } from './scan.types';

/**
 * The checks in the order they run: read-only probes first; writes on scanner-created objects
 * next; mass assignment late (it may raise the victim's own privileges); bursts and login
 * brute force last (a 429 or a lockout must not starve the other checks); passive analysis of
 * every answer at the very end.
 *
 * @internal
 */
export const CHECKS: readonly ScanCheck[] = [
  misconfigurationCheck,
  inventoryCheck,
  authenticationCheck,
  bolaCheck,
  functionLevelCheck,
  ssrfCheck,
  businessFlowCheck,
  massAssignmentCheck,
  graphqlCheck,
  resourceCheck,
  loginCheck,
  exposureCheck,
  responseHygieneCheck,
];

/** Checks whose probes are meant to meet 429s. */
const LIMIT_PROBES = new Set(['resources', 'login', 'business-flows']);

/** The target did not answer at all; the command exits 2. @internal */
export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/** Everything a scan needs. @internal */
export interface ScanOptions {
  target: string;
  openapi?: string;
  inventory?: string;
  config: ScanConfig;
  limits: ClientLimits;
  allowDestructive: boolean;
  defaultCredentials: boolean;
  /** Repository root: report and SARIF locations are relative to it. */
  repoRoot: string;
  version: string;
  /** Only these check ids (all when empty). */
  only?: string[];
  onProgress?: (state: { check: string; index: number; total: number; used: number; budget: number }) => void;
}

/** Repository-relative, forward slashes (what GitHub code scanning matches against). */
export function repoPath(file: string, repoRoot: string): string {
  return relative(repoRoot, resolve(file)).split(sep).join('/');
}

/** Spec operations enriched by the inventory; inventory-only routes appended. */
function merge(spec: ApiOperation[], inventory: ApiOperation[]): ApiOperation[] {
  const shape = (o: ApiOperation) => `${o.method} ${toTemplate(o.path).replace(/\{[^}]+\}/g, '{}')}`;
  const bySpec = new Map(spec.map((o) => [shape(o), o]));
  const extra: ApiOperation[] = [];
  for (const route of inventory) {
    const match = bySpec.get(shape(route));
    if (!match) extra.push(route);
    else {
      if (match.roles.length === 0) match.roles = route.roles;
      if (match.permissions.length === 0) match.permissions = route.permissions;
      match.secured ??= route.secured;
      match.ownershipParam ??= route.ownershipParam;
      match.deprecated ||= route.deprecated;
      match.sunset ??= route.sunset;
      match.location ??= route.location;
    }
  }
  return [...spec, ...extra];
}

async function checkReachable(client: ScanHttpClient, target: URL): Promise<void> {
  const x = await client.send({ method: 'GET', path: '/', identity: 'anonymous' });
  if (x.response) return;
  const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(x.error ?? '')
    ? ' (a self-signed test target? --insecure accepts it)'
    : '';
  throw new TargetError(`the target ${target.origin} is unreachable: ${x.error}${hint}`);
}

/**
 * Runs a scan: loads the inputs, checks the target answers, logs the identities in, creates the
 * objects to test with, runs every check within the request budget, and builds the report. Input
 * and target errors throw (the command turns them into exit 2); a spent budget ends the scan early
 * and marks the report incomplete.
 *
 * @internal
 */
export async function runScan(options: ScanOptions): Promise<ScanReport> {
  const startedAt = new Date();
  const target = new URL(options.target);
  // A document fetched from a URL is no repository file: SARIF locations come from the inventory.
  const specIsUrl = options.openapi !== undefined && /^https?:\/\//i.test(options.openapi);
  const specFile = options.openapi && !specIsUrl ? repoPath(options.openapi, options.repoRoot) : undefined;
  const inventoryFile = options.inventory && repoPath(options.inventory, options.repoRoot);
  const spec = options.openapi ? await loadOpenApi(options.openapi, specFile) : [];
  const inventory = options.inventory ? loadInventory(options.inventory, inventoryFile!) : [];
  const configFile =
    options.config.file && existsSync(options.config.file)
      ? repoPath(options.config.file, options.repoRoot)
      : undefined;
  // Only a file inside the repository can anchor a SARIF result (an inventory written to /tmp cannot).
  const fallbackFile = [specFile, inventoryFile, configFile].find((f) => f && !f.startsWith('../') && !isAbsolute(f));
  const canary = new Canary();
  let used = 0;
  let current = { check: 'setup', index: -1, total: CHECKS.length };
  const client = new ScanHttpClient(target, options.limits, (n) => {
    used = n;
    // A live request count on a terminal, without a redraw per request.
    if (n % 10 === 0) options.onProgress?.({ ...current, used, budget: options.limits.budget });
  });
  const ctx = new ScanContext(target, client, options.config, merge(spec, inventory), {
    allowDestructive: options.allowDestructive,
    fallbackLocation: fallbackFile ? { file: fallbackFile, line: 1 } : undefined,
    canary,
    defaultCredentials: options.defaultCredentials,
  });
  await checkReachable(client, target);
  for (const identity of options.config.identities)
    ctx.identities.set(identity.name, await establishIdentity(client, identity));
  assignRoles(ctx);
  const incomplete: string[] = [];
  await canary.start();
  try {
    await seedObjects(ctx);
    const checks = CHECKS.filter((c) => !options.only?.length || options.only.includes(c.id));
    for (const [index, check] of checks.entries()) {
      current = { check: check.id, index, total: checks.length };
      await refreshTokens(ctx, client, options.config, incomplete);
      options.onProgress?.({ ...current, used, budget: options.limits.budget });
      ctx.expectingLimits = LIMIT_PROBES.has(check.id);
      try {
        await check.run(ctx);
      } catch (error) {
        if (!(error instanceof BudgetExhaustedError)) throw error;
        incomplete.push(
          `request budget (${options.limits.budget}) spent during "${check.id}"; later probes of it did not run`,
        );
        // Passive checks need no requests: keep running them on what was gathered.
      }
    }
  } catch (error) {
    if (error instanceof BudgetExhaustedError)
      incomplete.push(`request budget (${options.limits.budget}) spent while creating test objects`);
    else throw error;
  } finally {
    await canary.stop();
  }
  if (ctx.unexpectedLimits > 0)
    incomplete.push(
      `${ctx.unexpectedLimits} probe(s) were answered 429 (rate limited) outside the rate-limit tests: a refusal there proves nothing, so those checks are inconclusive; allowlist the scanner's address or lower --rate`,
    );
  return buildReport(ctx, {
    version: options.version,
    startedAt,
    inputs: {
      openapi: specFile ?? options.openapi ?? null,
      inventory: inventoryFile ?? null,
      config: configFile ?? null,
      operations: ctx.operations.length,
    },
    limits: {
      budget: options.limits.budget,
      concurrency: options.limits.concurrency,
      rate: options.limits.rate,
      timeoutMs: options.limits.timeoutMs,
      allowDestructive: options.allowDestructive,
    },
    incomplete,
  });
}

/** Seconds left before a JWT expires, or undefined for other tokens. */
function secondsLeft(token: string | undefined): number | undefined {
  const exp = token ? decodeJwt(token)?.payload.exp : undefined;
  return typeof exp === 'number' ? exp - Date.now() / 1000 : undefined;
}

/**
 * Before each check: an identity whose JWT expires within 30 s logs in again (a token expiring
 * mid-scan would otherwise turn every later probe into a 401 "refusal"); a static token that
 * expires cannot be renewed, and the report says the scan is incomplete.
 */
async function refreshTokens(ctx: ScanContext, client: ScanHttpClient, config: ScanConfig, incomplete: string[]) {
  for (const identity of config.identities) {
    const current = ctx.identities.get(identity.name);
    const left = secondsLeft(current?.token);
    if (!current || left === undefined || left > 30) continue;
    if (!identity.login) {
      const reason = `the static token of "${identity.name}" expired during the scan; later probes with it are inconclusive`;
      if (!incomplete.includes(reason)) incomplete.push(reason);
      continue;
    }
    // Same object: the roles (victim, attacker...) keep pointing at it.
    Object.assign(current, await establishIdentity(client, identity));
  }
}

/** victim/attacker/low/high from the config, else: victim = first identity, attacker = next of its role. */
function assignRoles(ctx: ScanContext): void {
  const c = ctx.config;
  const all = [...ctx.identities.values()];
  ctx.victim = c.victim ? ctx.identities.get(c.victim) : all[0];
  ctx.attacker = c.attacker
    ? ctx.identities.get(c.attacker)
    : all.find((i) => i !== ctx.victim && i.role === ctx.victim?.role);
  ctx.low = c.low ? ctx.identities.get(c.low) : undefined;
  ctx.high = c.high ? ctx.identities.get(c.high) : undefined;
}
