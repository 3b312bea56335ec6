import { fork } from 'node:child_process';
import { join } from 'node:path';

/** One micro-benchmark result line, printed as JSON by each micro script. */
export interface MicroResult {
  /** Which benchmark: `jwt`, `rate-limit`, `validation`. */
  suite: string;
  /** The case inside the suite (e.g. the algorithm, or the store). */
  case: string;
  /** The implementation measured. */
  impl: string;
  /** Mean microseconds per operation (sequential), or undefined when not available. */
  usPerOp?: number;
  /** Operations per second (for concurrent cases, overall throughput). */
  opsPerSec?: number;
  iterations?: number;
  /** Why there is no number (unsupported, store degraded...). */
  note?: string;
}

/** The micro scripts, each run in a fresh process so one cannot warm or pollute the next. */
const SUITES = ['jwt', 'rate-limit', 'validation'] as const;

function runSuite(suite: string, args: string[], env: NodeJS.ProcessEnv): Promise<MicroResult[]> {
  return new Promise((resolve) => {
    const child = fork(join(__dirname, `${suite}.micro.js`), args, {
      env: { ...process.env, NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const results = out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as MicroResult);
      if (code !== 0) {
        results.push({ suite, case: '-', impl: '-', note: `suite failed (exit ${code}): ${err.split('\n')[0]}` });
      }
      resolve(results);
    });
  });
}

/** Runs every micro suite in its own process. */
export async function runMicro(options: {
  quick: boolean;
  redisUrl?: string;
  log: (message: string) => void;
}): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const suite of SUITES) {
    options.log(`micro: ${suite}`);
    results.push(
      ...(await runSuite(suite, options.quick ? ['--quick'] : [], { BENCH_REDIS_URL: options.redisUrl ?? '' })),
    );
  }
  return results;
}

const fmt = (n: number | undefined, digits: number): string =>
  n === undefined ? '' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** One markdown table per suite: cases as rows, implementations as columns (µs/op). */
export function microTables(results: readonly MicroResult[]): string {
  const sections: string[] = ['## Micro-benchmarks'];
  for (const suite of [...new Set(results.map((r) => r.suite))]) {
    const rows = results.filter((r) => r.suite === suite);
    const impls = [...new Set(rows.map((r) => r.impl))].filter((i) => i !== '-');
    const cases = [...new Set(rows.map((r) => r.case))].filter((c) => c !== '-');
    const lines = [`### ${suite} (µs/op, lower is better; ops/s in brackets)`, ''];
    lines.push(`| case | ${impls.join(' | ')} |`, `|${' --- |'.repeat(impls.length + 1)}`);
    for (const c of cases) {
      const cellsText = impls.map((impl) => {
        const r = rows.find((x) => x.case === c && x.impl === impl);
        if (!r) return '–';
        if (r.note && r.usPerOp === undefined && r.opsPerSec === undefined) return r.note;
        const ops = r.opsPerSec !== undefined ? `${fmt(r.opsPerSec, 0)}/s` : '';
        if (r.usPerOp === undefined) return ops;
        return `${fmt(r.usPerOp, r.usPerOp < 10 ? 2 : 1)}${ops ? ` (${ops})` : ''}`;
      });
      lines.push(`| ${c} | ${cellsText.join(' | ')} |`);
    }
    const failed = rows.filter((r) => r.case === '-');
    for (const f of failed) lines.push('', `- ${f.note ?? 'failed'}`);
    sections.push(lines.join('\n'));
  }
  return sections.join('\n\n');
}
