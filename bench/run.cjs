#!/usr/bin/env node
/*
 * `npm run bench [-- options]` (see bench/README.md). Builds the library (dist/, so the servers
 * run the compiled code a user gets) and the benchmark (bench/dist/, compiled with the repository as
 * its root because it imports test/fixtures/: bench/x.ts becomes bench/dist/bench/x.js), then
 * starts the runner.
 * `--no-build` skips both builds. A type error elsewhere in the tree does not stop the run (tsc
 * still emits); it is printed so the results can be read with that in mind.
 */
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const args = process.argv.slice(2);
const tsc = require.resolve('typescript/bin/tsc');

function build(label, tsconfig, output) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [tsc, '-p', tsconfig], { cwd: root, encoding: 'utf8' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status === 0) {
    process.stderr.write(`[bench] built ${label} in ${seconds} s\n`);
    return;
  }
  const errors = `${result.stdout}${result.stderr}`.trim().split('\n').slice(0, 15).join('\n');
  if (!existsSync(output)) {
    process.stderr.write(`[bench] building ${label} failed and there is no previous build:\n${errors}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `[bench] WARNING: ${label} has type errors (emitted anyway, results may be stale):\n${errors}\n`,
  );
}

// `--help` skips the build when a previous one can print it, and builds first otherwise.
const runnerBuilt = existsSync(join(__dirname, 'dist', 'bench', 'runner.js'));
if (!args.includes('--no-build') && !(args.includes('--help') && runnerBuilt)) {
  build('nestjs-rampart (dist/)', 'tsconfig.build.json', join(root, 'dist', 'index.js'));
  build('benchmarks (bench/dist/)', join('bench', 'tsconfig.json'), join(__dirname, 'dist', 'bench', 'runner.js'));
}

// `--profile <scenarios>` runs the CPU profiler instead of the benchmark.
const runner = join(__dirname, 'dist', 'bench', args.includes('--profile') ? 'profile.js' : 'runner.js');
const result = spawnSync(process.execPath, [runner, ...args.filter((a) => a !== '--no-build')], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
