#!/usr/bin/env node
import { runRampart } from './main';

void runRampart(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
