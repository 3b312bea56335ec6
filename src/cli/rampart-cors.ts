#!/usr/bin/env node
import { runRampart } from './main';

// The former `rampart-cors` command: an alias of `rampart cors`.
void runRampart(['cors', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
