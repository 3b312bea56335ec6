import { OWASP_CLASSES, rule } from './rules';
import { redactExchange } from './redact.util';
import type { ScanContext } from './scan-context';
import {
  SEVERITIES,
  type CheckRecord,
  type HttpExchange,
  type OwaspClass,
  type Severity,
  type SourceLocation,
} from './scan.types';

/** One finding as written to the JSON report (schema: docs/scanner.md). @internal */
export interface ReportFinding {
  id: string;
  rule: string;
  owasp: OwaspClass;
  owaspName: string;
  owaspUrl: string;
  cwe: number;
  severity: Severity;
  title: string;
  message: string;
  operation: string | null;
  location: SourceLocation | null;
  why: string;
  fix: string;
  nestFix: string;
  /** Already in the `--baseline` report (does not count toward `--fail-on`). */
  baseline: boolean;
  evidence: HttpExchange[];
}

/** The JSON report, `"format": "nestjs-rampart.scan-report"`, version 1. @internal */
export interface ScanReport {
  format: 'nestjs-rampart.scan-report';
  version: 1;
  tool: { name: 'rampart scan'; version: string };
  target: string;
  startedAt: string;
  finishedAt: string;
  inputs: { openapi: string | null; inventory: string | null; config: string | null; operations: number };
  identities: Array<{ name: string; role: string | null; as: string[] }>;
  limits: { budget: number; concurrency: number; rate: number; timeoutMs: number; allowDestructive: boolean };
  requests: { sent: number; budget: number };
  /** The `--baseline` report compared against, and how many findings are new. */
  baseline: { file: string; new: number; known: number } | null;
  complete: boolean;
  incomplete: string[];
  summary: {
    total: number;
    bySeverity: Record<Severity, number>;
    byClass: Record<OwaspClass, Record<Severity, number>>;
  };
  findings: ReportFinding[];
  checks: CheckRecord[];
  outOfScope: Array<{ owasp: OwaspClass; reason: string }>;
}

const zero = (): Record<Severity, number> => ({ info: 0, low: 0, medium: 0, high: 0, critical: 0 });

/** Builds the report from a finished scan, redacting every piece of evidence. @internal */
export function buildReport(
  ctx: ScanContext,
  meta: {
    version: string;
    startedAt: Date;
    inputs: ScanReport['inputs'];
    limits: ScanReport['limits'];
    incomplete: string[];
  },
): ScanReport {
  const known = [...ctx.identities.values()]
    .flatMap((i) => [i.token ?? '', ...Object.values(i.headers)])
    .filter(Boolean);
  const byClass = Object.fromEntries(Object.keys(OWASP_CLASSES).map((k) => [k, zero()])) as Record<
    OwaspClass,
    Record<Severity, number>
  >;
  const bySeverity = zero();
  const findings = [...ctx.findings]
    .sort(
      (a, b) =>
        SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
        a.owasp.localeCompare(b.owasp, 'en', { numeric: true }),
    )
    .map((f): ReportFinding => {
      const r = rule(f.rule);
      bySeverity[f.severity] += 1;
      byClass[f.owasp][f.severity] += 1;
      return {
        id: f.fingerprint,
        rule: f.rule,
        owasp: f.owasp,
        owaspName: OWASP_CLASSES[f.owasp].name,
        owaspUrl: OWASP_CLASSES[f.owasp].url,
        cwe: r.cwe,
        severity: f.severity,
        title: f.title,
        message: f.message,
        operation: f.operation ?? null,
        location: f.location ?? null,
        why: r.why,
        fix: r.fix,
        nestFix: r.nest,
        baseline: false,
        evidence: f.evidence.map((x) => redactExchange(x, known)),
      };
    });
  const roles = (name: string) => (['victim', 'attacker', 'low', 'high'] as const).filter((r) => ctx[r]?.name === name);
  return {
    format: 'nestjs-rampart.scan-report',
    version: 1,
    tool: { name: 'rampart scan', version: meta.version },
    target: ctx.target.toString(),
    startedAt: meta.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    inputs: meta.inputs,
    identities: [...ctx.identities.values()].map((i) => ({ name: i.name, role: i.role ?? null, as: roles(i.name) })),
    limits: meta.limits,
    requests: { sent: ctx.client.requestsUsed, budget: ctx.client.budget },
    baseline: null,
    complete: meta.incomplete.length === 0,
    incomplete: meta.incomplete,
    summary: { total: findings.length, bySeverity, byClass },
    findings,
    checks: ctx.records,
    outOfScope: [
      {
        owasp: 'API10',
        reason:
          'Unsafe Consumption of APIs concerns how the API treats answers from the third-party services it calls; a black-box scan cannot see or control those calls. Review integrations (TLS, validation of upstream data, redirects, timeouts) in code.',
      },
    ],
  };
}

/**
 * The finding ids of a previous JSON report (`--baseline`); throws when it is not one.
 *
 * @internal
 */
export function baselineIds(previous: unknown, file: string): Set<string> {
  const p = previous as { format?: unknown; version?: unknown; findings?: Array<{ id?: unknown }> } | null;
  if (!p || p.format !== 'nestjs-rampart.scan-report' || p.version !== 1 || !Array.isArray(p.findings))
    throw new Error(
      `--baseline ${file} is not a rampart scan JSON report (format nestjs-rampart.scan-report, version 1)`,
    );
  return new Set(p.findings.map((f) => String(f.id)));
}

/**
 * Marks the findings the baseline already had, by their stable id, so that only new ones fail
 * the build.
 *
 * @internal
 */
export function applyBaseline(report: ScanReport, known: ReadonlySet<string>, file: string): void {
  for (const finding of report.findings) finding.baseline = known.has(finding.id);
  const knownCount = report.findings.filter((f) => f.baseline).length;
  report.baseline = { file, new: report.findings.length - knownCount, known: knownCount };
}
