import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRampart } from '../../src/cli/main';
import type { ScanReport } from '../../src/cli/scan/scan-report';
import { applyReflectingCors, VulnerableAppModule } from '../fixtures/vulnerable-app/vulnerable-app.module';
import { ADAPTERS, bootApp } from '../utils/app';

const FIXTURE = join(__dirname, '..', 'fixtures', 'vulnerable-app');

describe.each(ADAPTERS)('rampart scan on the vulnerable twin (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-twin-'));
  let report: ScanReport;
  let code: number;
  const err: string[] = [];

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, VulnerableAppModule, undefined, applyReflectingCors));
    code = await runRampart(
      [
        'scan',
        '--target',
        url,
        '--openapi',
        join(FIXTURE, 'openapi.yaml'),
        '--config',
        join(FIXTURE, 'scan.yaml'),
        '--json',
        join(dir, 'report.json'),
        '--html',
        join(dir, 'report.html'),
        '--sarif',
        join(dir, 'report.sarif'),
        '--budget',
        '400',
      ],
      { out: () => undefined, err: (l) => err.push(l), interactive: false },
    );
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ScanReport;
  });
  afterAll(() => app.close());

  it('runs', () => {
    console.log(err.join('\n'));
    console.log(report.findings.map((f) => `${f.severity} ${f.rule} ${f.operation} :: ${f.message}`).join('\n'));
    console.log(
      report.checks
        .filter((c) => c.status === 'skipped')
        .map((c) => `${c.check} ${c.operation ?? ''} ${c.note}`)
        .join('\n'),
    );
    expect(code).toBe(1);
  });
});
