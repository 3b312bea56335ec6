import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CliIo } from '../cli-io';
import { packageVersion, UsageError } from '../cli-io';
import { parseCliArgs } from '../cli-args.util';
import { renderHtml } from './report/html-report';
import { renderSarif } from './report/sarif-report';
import { loadScanConfig, ScanConfigError } from './scan-config';
import { applyBaseline, baselineIds, type ScanReport } from './scan-report';
import { atLeast, SEVERITIES, type Severity } from './scan.types';
import { CHECKS, runScan, TargetError } from './scanner';
import { IdentityError } from './identities';
import { SpecError } from './openapi.loader';

/** `rampart scan --help`. @internal */
export const SCAN_USAGE = `Usage: rampart scan --target URL [options]

Tests a running API against the OWASP API Security Top 10 (2023) and writes HTML, JSON
and SARIF reports. Black-box: any HTTP API; a nestjs-rampart app's OpenAPI document and
route inventory tell it more.

Inputs:
  --target URL            base URL of the API (or target: in --config)
  --openapi FILE|URL      OpenAPI 3.x / Swagger 2 document ($ref resolved)
  --inventory FILE        route inventory exported by nestjs-rampart
  --config FILE           scan.yaml: identities, objects, flows, exclusions (docs/scanner.md)

Reports (without any, the JSON report goes to stdout):
  --html FILE             self-contained HTML report
  --json FILE             JSON report (format nestjs-rampart.scan-report, version 1)
  --sarif FILE            SARIF 2.1.0 for GitHub code scanning

Bounds:
  --budget N              maximum requests (default 2000)
  --concurrency N         requests in flight (default 4)
  --rate N                requests per second (default 50)
  --timeout MS            per-request timeout (default 10000)
  --allow-destructive     PUT/PATCH/DELETE also on objects the scanner did not create
  --insecure              accept any TLS certificate (self-signed test targets)
  --default-credentials   try a short list of published default accounts on the login
  --checks LIST           only these checks (${CHECKS.map((c) => c.id).join(', ')})

Result:
  --fail-on SEVERITY      exit 1 at or above: critical, high (default), medium, low, info, none
  --baseline FILE         a previous JSON report: only findings it lacks count for --fail-on
  --repo-root DIR         report locations relative to DIR (default: the git root or cwd)
  -h, --help              show this help

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
            2 usage, configuration, spec, login or target error.`;

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive whole number, got "${value}"`);
  return n;
}

function findRepoRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return resolve(start);
  }
}

function write(file: string, content: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, content);
}

function readBaseline(file: string): Set<string> {
  let previous: unknown;
  try {
    previous = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--baseline ${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  try {
    return baselineIds(previous, file);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function summaryLine(report: ScanReport): string {
  const counts = SEVERITIES.slice()
    .reverse()
    .filter((s) => report.summary.bySeverity[s] > 0)
    .map((s) => `${report.summary.bySeverity[s]} ${s}`);
  const baseline = report.baseline ? `, ${report.baseline.new} new since the baseline` : '';
  return `rampart scan: ${report.summary.total} finding(s)${counts.length ? ` (${counts.join(', ')})` : ''}${baseline}, ${report.requests.sent}/${report.requests.budget} requests${report.complete ? '' : ' - INCOMPLETE'}`;
}

/**
 * `rampart scan`: parses the arguments, runs the scan, writes the reports and returns the exit
 * code. Configuration, spec, login and target errors are printed (never with a stack trace) and
 * exit 2.
 *
 * @internal
 */
export async function runScanCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      openapi: { type: 'string' },
      inventory: { type: 'string' },
      config: { type: 'string' },
      html: { type: 'string' },
      json: { type: 'string' },
      sarif: { type: 'string' },
      budget: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      timeout: { type: 'string' },
      'allow-destructive': { type: 'boolean' },
      insecure: { type: 'boolean' },
      'default-credentials': { type: 'boolean' },
      checks: { type: 'string' },
      'fail-on': { type: 'string' },
      'repo-root': { type: 'string' },
      baseline: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(SCAN_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const failOn = values['fail-on'] ?? 'high';
  if (failOn !== 'none' && !(SEVERITIES as readonly string[]).includes(failOn))
    throw new UsageError(`--fail-on must be one of critical, high, medium, low, info, none; got "${failOn}"`);
  const only =
    values.checks
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean) ?? [];
  const unknown = only.find((c) => !CHECKS.some((k) => k.id === c));
  if (unknown)
    throw new UsageError(`unknown check "${unknown}" in --checks (known: ${CHECKS.map((c) => c.id).join(', ')})`);
  const limits = {
    budget: intOption(values.budget, 'budget', 2000),
    concurrency: intOption(values.concurrency, 'concurrency', 4),
    rate: intOption(values.rate, 'rate', 50),
    timeoutMs: intOption(values.timeout, 'timeout', 10_000),
  };
  const known = values.baseline ? readBaseline(values.baseline) : undefined;
  try {
    const config = loadScanConfig(values.config);
    const target = values.target ?? config.target;
    if (!target) throw new UsageError('--target is required (or target: in --config)');
    try {
      const url = new URL(target);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    } catch {
      throw new UsageError(`--target must be an http(s) URL, got "${target}"`);
    }
    const openapi = values.openapi ?? config.openapi;
    const inventory = values.inventory ?? config.inventory;
    const specFile = openapi !== undefined && !/^https?:\/\//i.test(openapi);
    if (values.sarif && !specFile && !inventory && !values.config)
      throw new UsageError(
        '--sarif needs an OpenAPI file, --inventory or --config: every SARIF result must point at a repository file (a URL is none)',
      );
    const status = io.interactive ? io.status : undefined;
    const progress = status
      ? (s: { check: string; index: number; total: number; used: number; budget: number }) =>
          status(`rampart scan: check ${s.index + 1}/${s.total} ${s.check}, ${s.used}/${s.budget} requests`)
      : undefined;
    const report = await runScan({
      target,
      openapi,
      inventory,
      config: { ...config, limits: {} },
      limits: {
        budget: values.budget ? limits.budget : (config.limits.budget ?? limits.budget),
        concurrency: values.concurrency ? limits.concurrency : (config.limits.concurrency ?? limits.concurrency),
        rate: values.rate ? limits.rate : (config.limits.rate ?? limits.rate),
        timeoutMs: values.timeout ? limits.timeoutMs : (config.limits.timeoutMs ?? limits.timeoutMs),
        insecure: values.insecure === true,
      },
      allowDestructive: values['allow-destructive'] === true,
      defaultCredentials: values['default-credentials'] === true,
      repoRoot: values['repo-root'] ? resolve(values['repo-root']) : findRepoRoot(process.cwd()),
      version: packageVersion(),
      only,
      onProgress: progress,
    });
    status?.('');
    if (values.baseline && known) applyBaseline(report, known, values.baseline);
    const json = JSON.stringify(report, null, 2);
    if (values.json) write(values.json, json);
    if (values.html) write(values.html, renderHtml(report));
    if (values.sarif) write(values.sarif, JSON.stringify(renderSarif(report), null, 2));
    if (!values.json && !values.html && !values.sarif) io.out(json);
    io.err(summaryLine(report));
    for (const reason of report.incomplete) io.err(`rampart scan: incomplete: ${reason}`);
    const failing =
      failOn === 'none' ? [] : report.findings.filter((f) => !f.baseline && atLeast(f.severity, failOn as Severity));
    return failing.length > 0 ? 1 : 0;
  } catch (error) {
    if (
      error instanceof ScanConfigError ||
      error instanceof SpecError ||
      error instanceof IdentityError ||
      error instanceof TargetError
    ) {
      io.err(`rampart scan: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
