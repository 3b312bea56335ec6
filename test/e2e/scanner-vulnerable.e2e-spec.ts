import type { INestApplication } from '@nestjs/common';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { chromium } from 'playwright-core';
import { runRampart } from '../../src/cli/main';
import type { ScanReport } from '../../src/cli/scan/scan-report';
import { applyReflectingCors, VulnerableAppModule } from '../fixtures/vulnerable-app/vulnerable-app.module';
import { ADAPTERS, bootApp } from '../utils/app';

/**
 * `rampart scan` against the deliberately vulnerable twin: every planted flaw is found with its
 * OWASP class, nothing else is high or critical, the SARIF is valid and locates every result in a
 * repository file, the reports carry no secret, and the HTML report renders in Chromium.
 */
const REPO = join(__dirname, '..', '..');
const FIXTURE = join(REPO, 'test', 'fixtures', 'vulnerable-app');
const SPEC = 'test/fixtures/vulnerable-app/openapi.yaml';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** [class, rule, operation, high or above]: one planted flaw each. */
const PLANTED: Array<[string, string, string | null, boolean]> = [
  ['API1', 'API1-BOLA-READ', 'GET /documents/{id}', true],
  ['API2', 'API2-JWT-ALG-NONE', null, true],
  ['API3', 'API3-MASS-ASSIGNMENT', 'PATCH /users/me', true],
  ['API3', 'API3-SENSITIVE-DATA-EXPOSURE', 'GET /users', true],
  ['API4', 'API4-NO-RATE-LIMIT', null, false],
  ['API5', 'API5-BFLA', 'GET /admin/stats', true],
  ['API7', 'API7-SSRF', 'POST /link-previews', true],
  ['API8', 'API8-CORS-REFLECTED-CREDENTIALS', null, true],
  ['API8', 'API8-VERBOSE-ERRORS', 'POST /documents', false],
  ['API9', 'API9-DEBUG-ENDPOINT', 'GET /debug', true],
];

async function scan(url: string, dir: string, extra: string[] = []) {
  const err: string[] = [];
  const out: string[] = [];
  const code = await runRampart(
    [
      'scan',
      '--target',
      url,
      '--openapi',
      join(FIXTURE, 'openapi.yaml'),
      '--config',
      join(FIXTURE, 'scan.yaml'),
      '--repo-root',
      REPO,
      '--budget',
      '400',
      ...extra,
    ],
    { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.each(ADAPTERS)('rampart scan on the vulnerable twin (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), `rampart-scan-twin-${adapter}-`));
  let report: ScanReport;
  let run: Awaited<ReturnType<typeof scan>>;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, VulnerableAppModule, undefined, applyReflectingCors));
    run = await scan(url, dir, [
      '--json',
      join(dir, 'report.json'),
      '--html',
      join(dir, 'report.html'),
      '--sarif',
      join(dir, 'report.sarif'),
    ]);
    if (run.code === 2) throw new Error(run.err);
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ScanReport;
  }, 60_000);
  afterAll(() => app.close());

  it('exits 1 (high findings) within its budget and says so on stderr', () => {
    expect(run.code).toBe(1);
    expect(report.complete).toBe(true);
    expect(report.requests.sent).toBeLessThanOrEqual(400);
    expect(run.err).toMatch(/^rampart scan: \d+ finding\(s\) \(\d+ critical, \d+ high/m);
  });

  it.each(PLANTED)('finds the planted %s flaw (%s on %s)', (owasp, rule, operation, high) => {
    const found = report.findings.find((f) => f.rule === rule && (operation === null || f.operation === operation));
    expect(found).toMatchObject({ owasp });
    expect(['high', 'critical'].includes(found!.severity)).toBe(high);
    expect(found!.evidence.length).toBeGreaterThan(0);
  });

  it('reports nothing else high or critical', () => {
    const expected = PLANTED.filter(([, , , high]) => high).map(([, rule]) => rule);
    const highs = report.findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
    expect([...new Set(highs.map((f) => f.rule))].sort()).toEqual([...new Set(expected)].sort());
    expect(highs).toHaveLength(expected.length);
  });

  it('writes a JSON report that validates against docs/scan-report.schema.json', () => {
    const schema = JSON.parse(readFileSync(join(REPO, 'docs', 'scan-report.schema.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(validate({ ...report, version: 2 })).toBe(false);
  });

  it('redacts every credential, token and password hash from the reports', () => {
    for (const file of ['report.json', 'report.html', 'report.sarif']) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
      expect(text).not.toMatch(/[a-f0-9]{32}:[a-f0-9]{64}/);
      expect(text).not.toMatch(/alice-pass|bob-pass|admin-pass/);
    }
    const bola = report.findings.find((f) => f.rule === 'API1-BOLA-READ')!;
    expect(bola.evidence[1].request.headers.Authorization).toBe('[REDACTED]');
  });

  it('writes SARIF 2.1.0 that validates against the schema, every result located in a repository file', () => {
    const sarif = JSON.parse(readFileSync(join(dir, 'report.sarif'), 'utf8')) as {
      runs: Array<{
        results: Array<{
          ruleId: string;
          locations: Array<{
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
            logicalLocations?: Array<{ name: string }>;
          }>;
        }>;
      }>;
    };
    const schema = JSON.parse(
      readFileSync(join(REPO, 'test', 'fixtures', 'sarif', 'sarif-2.1.0-rtm.5.json'), 'utf8'),
    ) as object;
    // The rtm.5 schema has a language-tag pattern that is not a valid unicode-mode regex.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    const results = sarif.runs[0].results;
    expect(results).toHaveLength(report.findings.length);
    const specLines = readFileSync(join(REPO, SPEC), 'utf8').split('\n');
    for (const result of results) {
      const { uri } = result.locations[0].physicalLocation.artifactLocation;
      expect(uri).not.toMatch(/^(\.\.\/|\/|[a-z]+:)/i);
      expect(existsSync(join(REPO, uri))).toBe(true);
    }
    const bola = results.find((r) => r.ruleId === 'API1-BOLA-READ')!;
    const { uri } = bola.locations[0].physicalLocation.artifactLocation;
    const line = bola.locations[0].physicalLocation.region.startLine;
    expect(uri).toBe(SPEC);
    expect(specLines[line - 1].trim()).toBe('get:');
    expect(
      specLines
        .slice(0, line - 1)
        .reverse()
        .find((l) => /^ {2}\//.test(l)),
    ).toBe('  /documents/{id}:');
    expect(bola.locations[0].logicalLocations?.[0].name).toBe('GET /documents/{id}');
  });

  it('writes a self-contained HTML report that renders in Chromium', async () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link |src="http/);
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROMIUM}`);
      console.warn(
        `SKIPPED: the HTML report was not rendered: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH; this fails under CI=true)`,
      );
      return;
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${join(dir, 'report.html')}`);
      expect(await page.title()).toBe(`rampart scan: ${url}/`);
      const titles = await page.locator('article.finding h3').allInnerTexts();
      expect(titles.length).toBe(report.findings.length);
      expect(titles.join('\n')).toMatch(/Another user's object is readable/);
      expect(await page.locator('table').first().innerText()).toMatch(/API1\s+Broken Object Level Authorization/);
      expect(await page.getByText('What was tested').count()).toBe(1);
      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: false });
      const png = readFileSync(shot);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.length).toBeGreaterThan(10_000);
      console.info(`scan report screenshot (${adapter}): ${shot}`);
    } finally {
      await browser.close();
    }
  }, 30_000);

  it('honours --fail-on: exit 0 when nothing reaches the threshold', async () => {
    const critical = await scan(url, dir, [
      '--checks',
      'inventory',
      '--fail-on',
      'critical',
      '--json',
      join(dir, 'inv.json'),
    ]);
    expect({ code: critical.code, err: critical.err }).toEqual({ code: 0, err: expect.stringMatching(/1 high/) });
    const high = await scan(url, dir, ['--checks', 'inventory', '--fail-on', 'high', '--json', join(dir, 'inv.json')]);
    expect(high.code).toBe(1);
  });

  it('with --baseline, fails only on findings the previous report did not have', async () => {
    const again = await scan(url, dir, [
      '--checks',
      'inventory',
      '--baseline',
      join(dir, 'report.json'),
      '--json',
      join(dir, 'again.json'),
      '--sarif',
      join(dir, 'again.sarif'),
    ]);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/1 finding\(s\) \(1 high\), 0 new since the baseline/);
    const next = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8')) as ScanReport;
    expect(next.baseline).toEqual({ file: join(dir, 'report.json'), new: 0, known: 1 });
    expect(next.findings.map((f) => [f.rule, f.baseline])).toEqual([['API9-DEBUG-ENDPOINT', true]]);
    const sarif = JSON.parse(readFileSync(join(dir, 'again.sarif'), 'utf8')) as {
      runs: Array<{ results: Array<{ baselineState?: string }> }>;
    };
    expect(sarif.runs[0].results.map((r) => r.baselineState)).toEqual(['unchanged']);
    const empty = join(dir, 'empty-baseline.json');
    writeFileSync(empty, JSON.stringify({ ...next, findings: [] }));
    expect(
      (await scan(url, dir, ['--checks', 'inventory', '--baseline', empty, '--json', join(dir, 'again.json')])).code,
    ).toBe(1);
    const bad = await scan(url, dir, ['--checks', 'inventory', '--baseline', join(dir, 'report.html')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--baseline .*report\.html cannot be read as JSON/);
  });
});
