#!/usr/bin/env node
/*
 * `npm run sample`: builds the library and the sample app when their output is missing or older
 * than their sources, then starts the sample app. The sample imports the library by its package
 * name ("nestjs-rampart"), which resolves to the built dist/ through the package's own exports.
 */
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

function buildIfStale(label, sourceDir, output, tsconfig) {
  if (existsSync(output) && statSync(output).mtimeMs >= newest(sourceDir)) return;
  process.stdout.write(`building ${label}...\n`);
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', tsconfig], { cwd: root, stdio: 'inherit' });
}

buildIfStale('nestjs-rampart', join(root, 'src'), join(root, 'dist', 'index.js'), 'tsconfig.build.json');
buildIfStale('sample-app', join(root, 'sample-app', 'src'), join(root, 'sample-app', 'dist', 'main.js'), 'sample-app/tsconfig.json');
require(join(root, 'sample-app', 'dist', 'main.js'));
