import type { INestApplication } from '@nestjs/common';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { runRampart } from '../../src/cli/main';
import type { ScanReport } from '../../src/cli/scan/scan-report';
import { SecurityInventory } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { setupApiDocs } from '../../sample-app/src/docs/docs.module';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { sampleLoginWithMfa } from '../fixtures/sample-login';
import { ADAPTERS, bootApp } from '../utils/app';

/**
 * `rampart scan` against the hardened sample app, with the default budget: nothing above
 * information, and the checks that matter ran and passed (a scan that tested nothing would also be
 * "clean").
 */
const REPO = join(__dirname, '..', '..');
const FIXTURE = join(REPO, 'test', 'fixtures', 'sample-scan');

/** [check, operation]: records that must say "passed". */
const MUST_PASS: Array<[string, string | undefined]> = [
  ['bola', 'GET /documents/{id}'],
  ['bola', 'PATCH /documents/{id}'],
  ['bola', 'DELETE /documents/{id}'],
  ['bola-list', 'GET /documents'],
  ['no-auth', 'GET /documents'],
  ['jwt-API2-JWT-ALG-NONE', 'GET /auth/me'],
  ['jwt-API2-JWT-SIGNATURE-NOT-VERIFIED', 'GET /auth/me'],
  ['jwt-weak-secret', 'GET /auth/me'],
  ['token-in-query', 'GET /auth/me'],
  ['bfla', 'GET /admin/users'],
  ['method-switch', undefined],
  ['mass-assignment', 'POST /documents'],
  ['mass-assignment', 'PATCH /documents/{id}'],
  ['negative-amount', 'POST /payments'],
  ['cors', undefined],
  ['known-paths', undefined],
  ['rate-limit', undefined],
  ['brute-force', undefined],
  ['exposure', undefined],
  ['verbose-errors', undefined],
];

/**
 * The fixture config with the admin identity logged in and stepped up (TOTP) beforehand: the
 * sample's /admin routes need a step-up, which a login request alone cannot give the scanner.
 */
async function withSteppedUpAdmin(url: string, config: string, dir: string): Promise<string> {
  const parsed = parseYaml(readFileSync(config, 'utf8')) as { identities: Record<string, unknown> };
  const token = await sampleLoginWithMfa(url, 'admin');
  parsed.identities.admin = { role: 'admin', headers: { Authorization: `Bearer ${token}` } };
  const file = join(dir, 'scan.yaml');
  writeFileSync(file, stringifyYaml(parsed));
  return file;
}

/**
 * Runs `rampart scan` on the app at `url` with `source` (the route list: `--openapi ...`, and
 * `--inventory ...`), the fixture config `config`, and reports written to `dir`.
 */
async function scanSample(
  url: string,
  source: string[],
  config: string,
  dir: string,
): Promise<{ code: number; report: ScanReport }> {
  const err: string[] = [];
  const configFile = await withSteppedUpAdmin(url, join(FIXTURE, config), dir);
  const args = ['scan', '--target', url, ...source, '--config', configFile, '--repo-root', REPO];
  const reports = ['--json', join(dir, 'report.json'), '--sarif', join(dir, 'report.sarif')];
  const code = await runRampart([...args, ...reports], {
    out: () => undefined,
    err: (l) => err.push(l),
    interactive: false,
  });
  if (code === 2) throw new Error(err.join('\n'));
  return { code, report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ScanReport };
}

/** A clean scan: exit 0, complete, nothing above information. */
function expectClean({ code, report }: { code: number; report: ScanReport }): void {
  const serious = report.findings.filter((f) => f.severity !== 'info');
  expect(serious.map((f) => `${f.severity} ${f.rule} ${f.operation}: ${f.message}`)).toEqual([]);
  expect(code).toBe(0);
  expect(report.complete).toBe(true);
}

/** The scan ran `check` (on `operation`, when given) and it passed. */
function expectPassed(report: ScanReport, check: string, operation: string | undefined): void {
  const record = report.checks.find((c) => c.check === check && (operation === undefined || c.operation === operation));
  expect(record).toMatchObject({ status: 'passed' });
}

describe.each(ADAPTERS)('rampart scan on the hardened sample app (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), `rampart-scan-sample-${adapter}-`));
  let report: ScanReport;
  let code: number;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
    ({ code, report } = await scanSample(url, ['--openapi', join(FIXTURE, 'openapi.yaml')], 'scan.yaml', dir));
  }, 60_000);
  afterAll(() => app.close());

  it('exits 0 with nothing above information, within the default budget', () => {
    expectClean({ code, report });
    expect(report.requests.budget).toBe(2000);
  });

  it.each(MUST_PASS)('ran and passed %s on %s', (check, operation) => expectPassed(report, check, operation));

  it('writes valid SARIF for a clean scan', () => {
    const schema = JSON.parse(
      readFileSync(join(REPO, 'test', 'fixtures', 'sarif', 'sarif-2.1.0-rtm.5.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const sarif = JSON.parse(readFileSync(join(dir, 'report.sarif'), 'utf8')) as {
      runs: Array<{ results: unknown[]; invocations: Array<{ executionSuccessful: boolean }> }>;
    };
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    expect(sarif.runs[0].results).toHaveLength(report.findings.length);
    expect(sarif.runs[0].invocations[0].executionSuccessful).toBe(true);
  });

  it('reports the deprecated balance route as information, announced by its headers', () => {
    const deprecated = report.findings.find((f) => f.rule === 'API9-DEPRECATED-ALIVE');
    expect(deprecated).toMatchObject({ severity: 'info', operation: 'GET /partner/v1/balance' });
  });
});

describe.each(ADAPTERS)(
  'rampart scan on the sample app with its own OpenAPI document and inventory (%s)',
  (adapter) => {
    let app: INestApplication;
    let url: string;
    const dir = mkdtempSync(join(tmpdir(), `rampart-scan-sample-generated-${adapter}-`));
    let report: ScanReport;
    let code: number;

    beforeAll(async () => {
      ({ app, url } = await bootApp(adapter, AppModule, undefined, setupApiDocs));
      const inventory = join(dir, 'inventory.json');
      writeFileSync(inventory, JSON.stringify(app.get(SecurityInventory).toJSON()));
      const source = ['--openapi', `${url}/openapi.json`, '--inventory', inventory];
      ({ code, report } = await scanSample(url, source, 'scan-generated.yaml', dir));
    }, 60_000);
    afterAll(() => app.close());

    it('exits 0 with nothing above information', () => expectClean({ code, report }));

    it.each(MUST_PASS)('ran and passed %s on %s', (check, operation) => expectPassed(report, check, operation));

    it('locates results in the controllers (from the inventory), not in the fetched document', () => {
      const deprecated = report.findings.find((f) => f.rule === 'API9-DEPRECATED-ALIVE');
      expect(deprecated?.location).toEqual({ file: 'sample-app/src/partner/partner.controller.ts', line: 1 });
      const sarif = JSON.parse(readFileSync(join(dir, 'report.sarif'), 'utf8')) as {
        runs: Array<{
          results: Array<{ locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }>;
        }>;
      };
      expect(sarif.runs[0].results.length).toBeGreaterThan(0);
      for (const result of sarif.runs[0].results) {
        const { uri } = result.locations[0].physicalLocation.artifactLocation;
        expect(uri).not.toMatch(/^(\.\.\/|\/|[a-z]+:)/i);
        expect(existsSync(join(REPO, uri))).toBe(true);
      }
    });
  },
);
