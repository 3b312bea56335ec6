#!/usr/bin/env node
/*
 * `node bench/soak.cjs [--minutes 5] [--rate 3500] [--connections 200] [--pipelining 1]
 * [--adapter fastify|express] [--no-build]`: the soak test (bench/soak.ts; not part of `npm test`). Builds the library (dist/) and the benchmarks
 * (bench/dist/) like bench/run.cjs, then runs it. Progress goes to stderr, the figures (JSON) to
 * stdout.
 */
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const { parseArgs } = require('node:util');

const root = join(__dirname, '..');
const args = process.argv.slice(2);
const USAGE =
  'usage: node bench/soak.cjs [--minutes 5] [--rate 3500] [--connections 200] [--pipelining 1] [--adapter fastify|express] [--no-build]';
let parsed;
try {
  // Refuse unknown options and typos (a soak with silently default settings wastes minutes).
  parsed = parseArgs({
    args,
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string' },
      connections: { type: 'string' },
      pipelining: { type: 'string' },
      adapter: { type: 'string' },
      'no-build': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  process.stderr.write(`${error.message}\n${USAGE}\n`);
  process.exit(2);
}
if (parsed.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!args.includes('--no-build')) {
  const tsc = require.resolve('typescript/bin/tsc');
  for (const project of ['tsconfig.build.json', join('bench', 'tsconfig.json')]) {
    const built = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) process.stderr.write(`[soak] WARNING: ${project} has type errors (emitted anyway)\n`);
  }
}
const soak = join(__dirname, 'dist', 'bench', 'soak.js');
const result = spawnSync(process.execPath, [soak, ...args.filter((a) => a !== '--no-build')], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
