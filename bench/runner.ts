import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchToken, keysFor, signJwt, userClaims } from './lib/fixtures';
import { BENCH_DIR } from './lib/paths';
import { type LoadSettings, measure, probe, requestShape } from './lib/load';
import { type BenchRedis, type BenchServer, pin, PINNING, startRedis, startServer } from './lib/processes';
import { type Cell, cpuTable, macroTable, notes, summarise } from './lib/report';
import { p99Table } from './lib/latency-report';
import {
  ADAPTERS,
  type AdapterName,
  type AppStatus,
  SCENARIO_IDS,
  scenarioById,
  type ScenarioId,
  STACKS,
  type StackName,
} from './lib/scenarios';
import { microTables, runMicro, type MicroResult } from './micro/micro-runner';

/**
 * `npm run bench [-- options]`: starts one server process per stack for each adapter (bare,
 * rampart, usual), checks that every protected route really refuses a bad request, then
 * measures each scenario with autocannon, the three stacks interleaved within each run and
 * their order rotated from run to run. Prints a markdown table and writes JSON to bench/results/.
 */

const HELP = `Usage: npm run bench -- [options]
  --quick              Fastify only, 1 run, 1 s per measurement, quick micro-benchmarks (< 2 min)
  --runs N             runs per cell; the median is reported (default 3)
  --duration S         whole seconds per measurement (default 2; autocannon ticks once a second)
  --warmup S           seconds of autocannon warm-up before each cell of the first run (default 0:
                       1500 fetch requests in the first run, 600 in later runs, 300 with --quick)
  --connections N      autocannon connections (default 50)
  --adapters a,b       express,fastify (default both; --quick: fastify)
  --scenarios a,b      subset of: ${SCENARIO_IDS.join(', ')}
  --no-micro           skip the micro-benchmarks
  --micro-only         only the micro-benchmarks
  --out DIR            where results go (default bench/results)`;

interface RunnerOptions {
  quick: boolean;
  runs: number;
  load: LoadSettings;
  adapters: AdapterName[];
  scenarios: ScenarioId[];
  micro: boolean;
  macro: boolean;
  out: string;
}

function list<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T[] {
  if (!value) return [...allowed];
  const items = value.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`unknown ${what} "${item}"`);
  }
  return items as T[];
}

function positive(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a non-negative number, got "${value}"`);
  return n;
}

function parseOptions(argv: string[]): RunnerOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      adapters: { type: 'string' },
      scenarios: { type: 'string' },
      'no-micro': { type: 'boolean', default: false },
      'micro-only': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return undefined;
  }
  const quick = values.quick === true;
  return {
    quick,
    runs: Math.max(1, Math.round(positive(values.runs, quick ? 1 : 3, '--runs'))),
    load: {
      connections: Math.max(1, Math.round(positive(values.connections, 50, '--connections'))),
      durationSec: Math.max(1, Math.round(positive(values.duration, quick ? 1 : 2, '--duration'))),
      warmupSec: Math.round(positive(values.warmup, 0, '--warmup')),
      warmupRequests: quick ? 300 : 600,
    },
    adapters: list(values.adapters ?? (quick ? 'fastify' : undefined), ADAPTERS, 'adapter'),
    scenarios: list(values.scenarios, SCENARIO_IDS, 'scenario'),
    micro: values['no-micro'] !== true,
    macro: values['micro-only'] !== true,
    out: values.out ?? join(BENCH_DIR, 'results'),
  };
}

const log = (message: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

/** Rotates the stack order by `shift`, so no stack always goes first (interleaving). */
function rotated(shift: number): StackName[] {
  return STACKS.map((_, i) => STACKS[(i + shift) % STACKS.length]);
}

/** Distinct tokens for scenarios that cycle them (each with its own `jti`). */
function tokensFor(count: number): string[] {
  if (count <= 1) return [benchToken()];
  const keys = keysFor('HS256');
  return Array.from({ length: count }, (_, i) => signJwt(keys, userClaims({ jti: `bench-jti-${i}` })));
}

/** Proves the route works and, for protected stacks, that it refuses a bad request. */
async function sanityCheck(cell: Cell, app: AppStatus, tokens: readonly string[]): Promise<void> {
  const scenario = scenarioById(cell.scenario);
  const url = `http://127.0.0.1:${app.port}${scenario.path}`;
  const shape = requestShape(scenario, app.headers ?? {}, tokens);
  try {
    const ok = await probe(url, shape);
    if (ok.status < 200 || ok.status >= 300 || ok.graphqlErrors) {
      cell.state = 'error';
      cell.reason = `expected 2xx${scenario.graphql ? ' without errors' : ''}, got ${ok.status}: ${ok.body}`;
      return;
    }
    const negative = scenario.negative;
    if (cell.stack === 'bare' || !negative) return;
    const withCredential = negative.headers !== undefined || negative.body !== undefined;
    const refused = await probe(url, shape, negative, withCredential);
    if (refused.status !== negative.status) {
      cell.state = 'not-enforced';
      cell.reason = `a bad request should get ${negative.status}, got ${refused.status}: ${refused.body}`;
    }
  } catch (error) {
    cell.state = 'error';
    cell.reason = error instanceof Error ? error.message : String(error);
  }
}

async function runAdapter(
  adapter: AdapterName,
  options: RunnerOptions,
  redis: BenchRedis | undefined,
  cells: Cell[],
): Promise<void> {
  const servers = new Map<StackName, BenchServer>();
  try {
    // Boots are not measured, so the three servers start together.
    log(`${adapter}: starting ${STACKS.join(', ')} servers`);
    const started = await Promise.allSettled(
      STACKS.map((stack) => startServer({ stack, adapter, scenarios: options.scenarios, redisUrl: redis?.url })),
    );
    started.forEach((result, i) => {
      if (result.status === 'fulfilled') servers.set(STACKS[i], result.value);
      else log(`${adapter}: ${STACKS[i]} server failed: ${String(result.reason).slice(0, 400)}`);
    });
    const tokenSets = new Map<ScenarioId, string[]>();
    for (const id of options.scenarios) tokenSets.set(id, tokensFor(scenarioById(id).tokens ?? 1));

    const apps = new Map<Cell, AppStatus>();
    for (const scenario of options.scenarios) {
      for (const stack of STACKS) {
        const app = servers.get(stack)?.ready.apps.find((a) => a.scenario === scenario);
        const cell: Cell = {
          adapter,
          scenario,
          stack,
          state: app?.status ?? 'error',
          reason: app ? app.reason : 'server did not start',
          samples: [],
          ratios: [],
        };
        if (app?.status === 'ok') {
          await sanityCheck(cell, app, tokenSets.get(scenario) ?? []);
          if (cell.state === 'ok') apps.set(cell, app);
        }
        cells.push(cell);
      }
    }

    for (let run = 0; run < options.runs; run++) {
      for (const [index, scenario] of options.scenarios.entries()) {
        const def = scenarioById(scenario);
        for (const stack of rotated(run + index)) {
          const cell = cells.find((c) => c.adapter === adapter && c.scenario === scenario && c.stack === stack);
          const app = cell ? apps.get(cell) : undefined;
          if (!cell || !app) continue;
          const url = `http://127.0.0.1:${app.port}${def.path}`;
          const shape = requestShape(def, app.headers ?? {}, tokenSets.get(scenario) ?? []);
          const first = run === 0 && !options.quick;
          const settings = {
            ...options.load,
            warmupSec: run === 0 ? options.load.warmupSec : 0,
            warmupRequests: first ? 1500 : options.load.warmupRequests,
          };
          const sample = await measure(url, shape, settings, servers.get(stack)?.child.pid);
          cell.samples.push(sample);
          log(
            `${adapter} run ${run + 1}/${options.runs} ${scenario} ${stack}: ${Math.round(sample.rps)} req/s` +
              (sample.non2xx ? ` (${sample.non2xx} non-2xx)` : ''),
          );
        }
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
}

function header(options: RunnerOptions, started: Date): string {
  const cpu = cpus();
  return [
    `# nestjs-rampart benchmark`,
    ``,
    `- date: ${started.toISOString()}`,
    `- code: nestjs-rampart ${gitHead() ?? '(no git)'}${gitDirty() ? ' + uncommitted changes in src/' : ''}, compiled (dist/)`,
    `- machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`,
    `- load: autocannon, ${options.load.connections} connections, ${options.runs} run(s) × ${options.load.durationSec} s per cell ` +
      `(warm-up before each cell: ${
        options.load.warmupSec
          ? `${options.load.warmupSec} s of autocannon in run 1`
          : `${options.quick ? '' : '1500 fetch requests in run 1, '}${options.load.warmupRequests} fetch requests`
      }), ` +
      `stacks interleaved and rotated per run; median of runs`,
    PINNING
      ? `- CPU pinning: the server under load on core ${PINNING.server}, autocannon and redis-server on core(s) ${PINNING.others} (taskset)`
      : `- no CPU pinning (taskset or a second core missing): server and load generator share the cores`,
    `- compare ratios (same adapter, same run), not absolute req/s`,
  ].join('\n');
}

async function main(): Promise<void> {
  pin(process.pid, 'others');
  const options = parseOptions(process.argv.slice(2));
  if (!options) return;
  const started = new Date();
  const cells: Cell[] = [];
  let micro: MicroResult[] = [];
  let redisCalls: Record<string, number> = {};
  let redis: BenchRedis | undefined;
  const stopRedis = async (): Promise<void> => {
    const r = redis;
    redis = undefined;
    await r?.stop();
  };
  process.once('SIGINT', () => void stopRedis().then(() => process.exit(130)));

  try {
    const needsRedis = options.micro || options.scenarios.some((id) => scenarioById(id).redis);
    if (needsRedis) {
      redis = await startRedis();
      log(`redis-server on ${redis.url}`);
    }
    if (options.macro) {
      for (const adapter of options.adapters) await runAdapter(adapter, options, redis, cells);
      summarise(cells);
      if (redis) redisCalls = await redis.commandCalls().catch(() => ({}));
    }
    if (options.micro) micro = await runMicro({ quick: options.quick, redisUrl: redis?.url, log });
  } finally {
    await stopRedis();
  }

  const sections = [header(options, started)];
  if (options.macro) {
    sections.push(
      `## Requests per second (median), latency p50 / p99 (ms), ratio to bare\n\n` +
        macroTable(cells, options.adapters, options.scenarios),
    );
    sections.push(
      `## Server CPU per request (µs, median) and CPU ratio (bare µs / stack µs)\n\n` +
        'Measured from /proc during the same runs. Much less sensitive than req/s to other load on the machine; ' +
        'it does not include Redis server CPU.\n\n' +
        cpuTable(cells, options.adapters, options.scenarios),
    );
    sections.push(
      `## p99 latency at ${options.load.connections} connections against bare (median of per-run ratios)\n\n` +
        p99Table(cells, options.adapters, options.scenarios),
    );
    const calls = Object.entries(redisCalls)
      .filter(([name]) => name !== 'info')
      .map(([name, n]) => `${name} ${n.toLocaleString('en-US')}`)
      .join(', ');
    const n = [notes(cells), calls ? `- Redis commands served during the macro runs: ${calls}` : ''].filter(Boolean);
    if (n.length) sections.push(`### Notes\n\n${n.join('\n')}`);
  }
  if (micro.length) sections.push(microTables(micro));
  const markdown = `${sections.join('\n\n')}\n`;
  process.stdout.write(`\n${markdown}`);

  mkdirSync(options.out, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const json = {
    meta: {
      date: started.toISOString(),
      finished: new Date().toISOString(),
      cores: cpus().length,
      cpu: cpus()[0]?.model.trim(),
      node: process.version,
      commit: gitHead(),
      /** The measured code is the working tree, which may differ from the commit. */
      uncommittedChanges: gitDirty(),
    },
    settings: { quick: options.quick, runs: options.runs, ...options.load, adapters: options.adapters },
    redisCommandCalls: redisCalls,
    cells,
    micro,
  };
  for (const name of [`bench-${stamp}`, 'latest']) {
    writeFileSync(join(options.out, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(join(options.out, `${name}.md`), markdown);
  }
  log(`results written to ${join(options.out, `bench-${stamp}.{json,md}`)} (and latest.*)`);
}

function gitDirty(): boolean | undefined {
  try {
    return execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim().length > 0;
  } catch {
    return undefined;
  }
}

function gitHead(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
