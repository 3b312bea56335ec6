import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRampart } from '../../src/cli/main';
import type { ScanReport } from '../../src/cli/scan/scan-report';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';

const FIXTURE = join(__dirname, '..', 'fixtures', 'sample-scan');

describe.each(ADAPTERS)('rampart scan on the hardened sample app (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-sample-'));
  let report: ScanReport;
  let code: number;
  const err: string[] = [];

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
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
        '--budget',
        '600',
      ],
      { out: () => undefined, err: (l) => err.push(l), interactive: false },
    );
    if (code === 2) throw new Error(err.join('\n'));
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ScanReport;
  });
  afterAll(() => app.close());

  it('runs', () => {
    console.log(err.join('\n'));
    console.log(
      JSON.stringify(
        report.findings.filter((f) => f.rule === 'API8-MISSING-NOSNIFF').map((f) => f.evidence),
        null,
        1,
      ),
    );
    console.log(report.findings.map((f) => `${f.severity} ${f.rule} ${f.operation} :: ${f.message}`).join('\n'));
    console.log(report.checks.map((c) => `${c.status} ${c.check} ${c.operation ?? ''} ${c.note}`).join('\n'));
    expect(code).toBe(0);
  });
});
