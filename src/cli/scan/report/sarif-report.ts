import type { Log, ReportingDescriptor, Result } from 'sarif';
import { OWASP_CLASSES, RULES } from '../rules';
import type { ReportFinding, ScanReport } from '../scan-report';
import type { Severity } from '../scan.types';

/** GitHub shows Critical/High/Medium/Low from this number (rule level). */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '1.0',
};
const LEVEL: Record<Severity, Result.level> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

function descriptor(id: string): ReportingDescriptor {
  const r = RULES.get(id)!;
  return {
    id,
    name: id.replace(/[^A-Za-z0-9]+/g, ''),
    shortDescription: { text: `${r.title} (${r.owasp}:2023)` },
    fullDescription: { text: r.why },
    help: { text: `${r.fix} nestjs-rampart: ${r.nest}`, markdown: `${r.fix}\n\n**nestjs-rampart:** ${r.nest}` },
    helpUri: OWASP_CLASSES[r.owasp].url,
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: {
      tags: ['security', 'owasp-api-2023', `${r.owasp}:2023`, `CWE-${r.cwe}`],
      'security-severity': SECURITY_SEVERITY[r.severity],
      precision: 'high',
    },
  };
}

function result(f: ReportFinding, ruleIndex: number, fallback: string, withBaseline: boolean): Result {
  const location = f.location ?? { file: fallback, line: 1 };
  const x = f.evidence[0];
  const out: Result = {
    ruleId: f.rule,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: location.file },
          region: { startLine: Math.max(1, location.line) },
        },
        ...(f.operation ? { logicalLocations: [{ name: f.operation, kind: 'function' }] } : {}),
      },
    ],
    partialFingerprints: { 'rampartScanFinding/v1': f.id },
    ...(withBaseline ? { baselineState: f.baseline ? ('unchanged' as const) : ('new' as const) } : {}),
    properties: { owasp: `${f.owasp}:2023`, severity: f.severity, cwe: `CWE-${f.cwe}`, url: x?.request.url ?? null },
  };
  if (x) {
    out.webRequest = {
      protocol: 'HTTP',
      version: '1.1',
      method: x.request.method,
      target: x.request.url,
      headers: x.request.headers,
      ...(x.request.body ? { body: { text: x.request.body.slice(0, 4000) } } : {}),
    };
    if (x.response)
      out.webResponse = {
        protocol: 'HTTP',
        version: '1.1',
        statusCode: x.response.status,
        headers: x.response.headers,
        body: { text: x.response.body.slice(0, 4000) },
      };
  }
  return out;
}

/**
 * The report as SARIF 2.1.0 for GitHub code scanning: every result has a location in a repository
 * file (the OpenAPI operation's line, the inventory's source file, or the config file), never a
 * URL (code scanning rejects those); the URL is in `webRequest` and `properties`. Rule ids and
 * `partialFingerprints` are stable across runs.
 *
 * @internal
 */
export function renderSarif(report: ScanReport): Log {
  const inRepo = (f: string | null) => (f && !/^(\.\.\/|\/|[a-z]+:)/i.test(f) ? f : null);
  const fallback = inRepo(report.inputs.openapi) ?? inRepo(report.inputs.inventory) ?? inRepo(report.inputs.config);
  if (!fallback && report.findings.some((f) => !f.location))
    throw new Error('SARIF needs a repository file for every result: pass --openapi, --inventory or --config');
  const ids = [...RULES.keys()];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'rampart-scan',
            semanticVersion: report.tool.version,
            informationUri: 'https://github.com/nestjs-rampart/nestjs-rampart/blob/main/docs/scanner.md',
            rules: ids.map(descriptor),
          },
        },
        // Stable across runs (a test target's random port must not split the alert history).
        automationDetails: { id: 'rampart-scan/' },
        invocations: [
          {
            executionSuccessful: report.complete,
            startTimeUtc: report.startedAt,
            endTimeUtc: report.finishedAt,
            ...(report.complete
              ? {}
              : {
                  toolExecutionNotifications: report.incomplete.map((text) => ({
                    message: { text },
                    level: 'warning' as const,
                  })),
                }),
          },
        ],
        results: report.findings.map((f) => result(f, ids.indexOf(f.rule), fallback ?? '', report.baseline !== null)),
      },
    ],
  };
}
