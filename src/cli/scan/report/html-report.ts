import { OWASP_CLASSES } from '../rules';
import type { ReportFinding, ScanReport } from '../scan-report';
import { SEVERITIES, type HttpExchange, type OwaspClass, type Severity } from '../scan.types';

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const BY_SEVERITY = SEVERITIES.slice().reverse();

const CSS = `
:root{--critical:#7b1fa2;--high:#c62828;--medium:#ef6c00;--low:#1565c0;--info:#546e7a;--ok:#2e7d32}
*{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1c2430;background:#f5f7fa}
header{background:#1c2430;color:#fff;padding:24px 32px}header h1{margin:0 0 4px;font-size:24px}header p{margin:2px 0;color:#c9d1dc}
main{max-width:1100px;margin:0 auto;padding:24px 32px}
h2{margin:32px 0 12px;font-size:20px}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:6px;overflow:hidden;box-shadow:0 1px 2px #0002}
th,td{padding:6px 10px;border-bottom:1px solid #e3e8ee;text-align:left;vertical-align:top}th{background:#eef2f6;font-weight:600}
td.n{text-align:center;font-variant-numeric:tabular-nums}td.n.z{color:#9aa5b1}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.03em}
.sev-critical{background:var(--critical)}.sev-high{background:var(--high)}.sev-medium{background:var(--medium)}.sev-low{background:var(--low)}.sev-info{background:var(--info)}
.finding{background:#fff;border-radius:6px;box-shadow:0 1px 2px #0002;margin:0 0 16px;padding:16px 20px;border-left:6px solid var(--info)}
.finding.critical{border-color:var(--critical)}.finding.high{border-color:var(--high)}.finding.medium{border-color:var(--medium)}.finding.low{border-color:var(--low)}
.finding h3{margin:0 0 6px;font-size:17px}.meta{color:#52606d;font-size:13px;margin-bottom:8px}.meta code{background:#eef2f6;padding:0 4px;border-radius:3px}
dl{margin:8px 0;display:grid;grid-template-columns:150px 1fr;gap:4px 12px}dt{font-weight:600;color:#52606d}dd{margin:0}
details{margin:8px 0}summary{cursor:pointer;font-weight:600;color:#334e68}
pre{background:#102a43;color:#e3f2fd;padding:10px 12px;border-radius:4px;overflow:auto;max-height:360px;font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-all}
.ok{color:var(--ok);font-weight:600}.skip{color:#7b8794;font-weight:600}
.banner{padding:10px 14px;border-radius:6px;margin:16px 0;background:#fff3e0;border:1px solid #ffb74d}
.clean{padding:10px 14px;border-radius:6px;margin:16px 0;background:#e8f5e9;border:1px solid #81c784}
footer{color:#7b8794;font-size:12px;padding:24px 32px;text-align:center}
`;

function exchangeText(x: HttpExchange): { request: string; response: string; curl: string } {
  const u = new URL(x.request.url);
  const request = [
    `${x.request.method} ${u.pathname}${u.search} HTTP/1.1`,
    `host: ${u.host}`,
    ...Object.entries(x.request.headers).map(([k, v]) => `${k}: ${v}`),
    ...(x.request.body ? ['', x.request.body] : []),
  ].join('\n');
  const response = x.response
    ? [
        `HTTP/1.1 ${x.response.status}`,
        ...Object.entries(x.response.headers).map(([k, v]) => `${k}: ${v}`),
        '',
        x.response.body + (x.response.truncated ? '\n… (truncated)' : ''),
      ].join('\n')
    : `(no answer: ${x.error})`;
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const curl = [
    `curl -i -X ${x.request.method} ${quote(x.request.url)}`,
    ...Object.entries(x.request.headers)
      .filter(([k]) => !['content-length', 'user-agent', 'accept'].includes(k.toLowerCase()))
      .map(([k, v]) => `  -H ${quote(`${k}: ${v}`)}`),
    ...(x.request.body && x.request.body.length < 4000 ? [`  --data ${quote(x.request.body)}`] : []),
  ].join(' \\\n');
  return { request, response, curl };
}

function finding(f: ReportFinding): string {
  const evidence = f.evidence
    .map((x, i) => {
      const t = exchangeText(x);
      return `<details${i === 0 ? ' open' : ''}><summary>Evidence ${i + 1}: ${esc(x.request.method)} as ${esc(x.identity)} → ${esc(x.response?.status ?? 'no answer')}</summary>
<pre>${esc(t.request)}</pre><pre>${esc(t.response)}</pre><details><summary>Reproduce with curl (credentials redacted)</summary><pre>${esc(t.curl)}</pre></details></details>`;
    })
    .join('\n');
  return `<article class="finding ${f.severity}" id="${esc(f.id)}">
<h3><span class="badge sev-${f.severity}">${f.severity}</span>${f.baseline ? ' <span class="badge sev-info">known (baseline)</span>' : ''} ${esc(f.title)}</h3>
<div class="meta"><a href="${esc(f.owaspUrl)}">${f.owasp}:2023 ${esc(f.owaspName)}</a> · CWE-${f.cwe} · rule <code>${esc(f.rule)}</code>${f.operation ? ` · <code>${esc(f.operation)}</code>` : ''}${f.location ? ` · <code>${esc(f.location.file)}:${f.location.line}</code>` : ''}</div>
<p>${esc(f.message)}</p>
<dl><dt>Why it matters</dt><dd>${esc(f.why)}</dd><dt>How to fix</dt><dd>${esc(f.fix)}</dd><dt>In nestjs-rampart</dt><dd>${esc(f.nestFix)}</dd></dl>
${evidence}
</article>`;
}

function summary(report: ScanReport): string {
  const cell = (n: number) => `<td class="n${n === 0 ? ' z' : ''}">${n}</td>`;
  const rows = (Object.keys(OWASP_CLASSES) as OwaspClass[]).map((c) => {
    const counts = report.summary.byClass[c];
    const checks = report.checks.filter((k) => k.owasp === c);
    const passed = checks.filter((k) => k.status === 'passed').length;
    const found = BY_SEVERITY.reduce((n, s) => n + counts[s], 0);
    const tested =
      c === 'API10' ? 'out of scope' : `${found} finding(s), ${passed} passed, ${checks.length - passed} skipped`;
    return `<tr><td><a href="${esc(OWASP_CLASSES[c].url)}">${c}</a> ${esc(OWASP_CLASSES[c].name)}</td>${BY_SEVERITY.map((s) => cell(counts[s])).join('')}<td>${tested}</td></tr>`;
  });
  const totals = BY_SEVERITY.map((s) => cell(report.summary.bySeverity[s])).join('');
  return `<table><thead><tr><th>OWASP API Top 10 (2023)</th>${BY_SEVERITY.map((s) => `<th><span class="badge sev-${s}">${s}</span></th>`).join('')}<th>Checks</th></tr></thead>
<tbody>${rows.join('\n')}<tr><td><strong>Total</strong></td>${totals}<td>${report.checks.length} checks recorded</td></tr></tbody></table>`;
}

function checks(report: ScanReport): string {
  const rows = report.checks.map(
    (c) =>
      `<tr><td>${c.owasp}</td><td>${esc(c.check)}</td><td>${c.operation ? `<code>${esc(c.operation)}</code>` : ''}</td><td class="${c.status === 'passed' ? 'ok' : 'skip'}">${c.status}</td><td>${esc(c.note)}</td></tr>`,
  );
  return `<table><thead><tr><th>Class</th><th>Check</th><th>Operation</th><th>Result</th><th>Detail</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

/**
 * The report as one self-contained HTML page (inline CSS, no script, no external resource): a
 * summary by class and severity, every finding with why it matters, how to fix it (and the
 * nestjs-rampart decorator or option), redacted evidence and a curl reproduction, and every check
 * that passed or was skipped.
 *
 * @internal
 */
export function renderHtml(report: ScanReport): string {
  const worst: Severity | undefined = BY_SEVERITY.find((s) => report.summary.bySeverity[s] > 0);
  const status = !report.complete
    ? `<div class="banner"><strong>Incomplete scan.</strong> ${report.incomplete.map(esc).join(' ')}</div>`
    : report.findings.length === 0
      ? '<div class="clean"><strong>No findings.</strong> Every check below passed or was skipped (see why).</div>'
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>rampart scan: ${esc(report.target)}</title><style>${CSS}</style></head>
<body><header><h1>API security scan: ${esc(report.target)}</h1>
<p>OWASP API Security Top 10 (2023) · ${report.summary.total} finding(s)${worst ? `, worst <span class="badge sev-${worst}">${worst}</span>` : ''} · ${report.requests.sent} of ${report.requests.budget} requests · ${esc(report.startedAt)} → ${esc(report.finishedAt)}</p>
${report.baseline ? `<p>Baseline ${esc(report.baseline.file)}: ${report.baseline.new} new, ${report.baseline.known} known finding(s)</p>` : ''}<p>Inputs: ${esc([report.inputs.openapi && `OpenAPI ${report.inputs.openapi}`, report.inputs.inventory && `inventory ${report.inputs.inventory}`, report.inputs.config && `config ${report.inputs.config}`].filter(Boolean).join(', ') || 'target only')} · ${report.inputs.operations} operation(s) · identities: ${esc(report.identities.map((i) => `${i.name}${i.as.length ? ` (${i.as.join(', ')})` : ''}`).join(', ') || 'none')}${report.limits.allowDestructive ? ' · destructive probes allowed' : ''}</p></header>
<main>${status}
<h2>Summary</h2>${summary(report)}
<h2>Findings</h2>${report.findings.length ? report.findings.map(finding).join('\n') : '<p>None.</p>'}
<h2>What was tested</h2>${checks(report)}
<h2>Out of scope</h2><ul>${report.outOfScope.map((o) => `<li><strong>${o.owasp}:2023 ${esc(OWASP_CLASSES[o.owasp].name)}</strong>: ${esc(o.reason)}</li>`).join('')}</ul>
</main><footer>rampart scan ${esc(report.tool.version)} · report format ${report.format} v${report.version} · secrets and credentials are redacted</footer></body></html>
`;
}
