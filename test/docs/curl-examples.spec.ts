import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { INestApplication, Type } from '@nestjs/common';
import { AppModule as SampleAppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp, type AdapterName } from '../utils/app';
import { docFiles, readBlocks, removeGenerated, writeBlocks, type DocBlock } from './doc-blocks';
import { curlSteps, runWithCurl, runWithFetch, type CurlStep, type StepResult } from './curl-runner';

/**
 * Every `curl` line of README.md and docs/*.md runs against a real server and answers the status
 * its `# → <status> [CODE]` comment documents (and names that error code in its body). The README's
 * quick start runs against the quick-start module itself (its blocks, written out and booted);
 * everything else against the sample app with in-memory stores. Uses the curl binary when there is
 * one (as a reader would), otherwise the same requests through fetch (`DOCS_CURL=fetch` forces it).
 */
const FOLDER = `curl-${process.pid}`;
const useCurl = process.env.DOCS_CURL !== 'fetch' && hasCurl();

function hasCurl(): boolean {
  try {
    execFileSync('bash', ['-c', 'command -v curl'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

type Target = 'sample' | 'quickstart';
const targetOf = (block: DocBlock): Target =>
  block.file === 'README.md' && block.section === 'Quick start' ? 'quickstart' : 'sample';

const blocks = docFiles()
  .flatMap(readBlocks)
  .filter((b) => b.lang === 'bash')
  .map((block) => ({ block, steps: curlSteps(block) }))
  .filter((b) => b.steps.length > 0);

/** Boots a module with in-memory stores (the sample switches to Redis when REDIS_URL is set). */
async function bootInMemory(adapter: AdapterName, module: Type): Promise<{ app: INestApplication; url: string }> {
  const redisUrl = process.env.REDIS_URL;
  delete process.env.REDIS_URL;
  try {
    return await bootApp(adapter, module);
  } finally {
    if (redisUrl !== undefined) process.env.REDIS_URL = redisUrl;
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function problems(results: StepResult[]): string[] {
  return results.flatMap(({ step, status, body }) => {
    const where = `${step.line}: ${step.command.slice(0, 90)}`;
    if (!step.expect) return [`${where} documents no "# → <status>"`];
    if (status !== step.expect.status)
      return [`${where} answered ${status}, documented ${step.expect.status}: ${body.slice(0, 200)}`];
    const missingCodes = step.expect.codes
      .filter((code) => !body.includes(code))
      .map((code) => `${where} body lacks ${code}: ${body.slice(0, 200)}`);
    if (step.expect.headers.length > 0 && !step.showsHeaders)
      return [...missingCodes, `${where} names headers: add -i`];
    const missingHeaders = step.expect.headers
      .filter(([name, value]) => !new RegExp(`^${name}: ${escapeRegExp(value)}\\s*$`, 'im').test(body))
      .map(([name, value]) => `${where} lacks header ${name}: ${value}`);
    return [...missingCodes, ...missingHeaders];
  });
}

const run = (steps: CurlStep[], url: string) => (useCurl ? runWithCurl(steps, url) : runWithFetch(steps, url));

it('finds the curl examples of README.md and docs/', () => {
  expect(blocks.length).toBeGreaterThan(8);
  expect(blocks.some((b) => targetOf(b.block) === 'quickstart')).toBe(true);
});

describe.each(ADAPTERS)('documented curl examples (%s)', (adapter) => {
  const apps: Partial<Record<Target, { app: INestApplication; url: string }>> = {};
  let jwtSecret: string | undefined;

  beforeAll(async () => {
    // The quick start reads JWT_SECRET when its module is loaded, as `JWT_SECRET=… npm run start` would.
    jwtSecret = process.env.JWT_SECRET;
    process.env.JWT_SECRET = randomBytes(48).toString('base64url');
    const dir = writeBlocks(`${FOLDER}-${adapter}`, 'README.md');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the README's own module, written out just now
    const quickStart = require(join(dir, 'src', 'app.module.ts')) as { AppModule: Type };
    apps.quickstart = await bootInMemory(adapter, quickStart.AppModule);
    apps.sample = await bootInMemory(adapter, SampleAppModule);
  });
  afterAll(async () => {
    if (jwtSecret === undefined) delete process.env.JWT_SECRET;
    else process.env.JWT_SECRET = jwtSecret;
    removeGenerated(`${FOLDER}-${adapter}`);
    await Promise.all(Object.values(apps).map((a) => a?.app.close()));
  });

  it.each(blocks.map((b) => [`${b.block.file}:${b.block.line}`, b] as const))('%s', async (_, { block, steps }) => {
    const results = await run(steps, apps[targetOf(block)]!.url);
    expect(problems(results).map((p) => `${block.file}:${p}`)).toEqual([]);
  });
});
