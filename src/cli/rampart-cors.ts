#!/usr/bin/env node
import { runRampart } from './main';

// `rampart ... | head` closes stdout early: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// The former `rampart-cors` command: an alias of `rampart cors`.
void runRampart(['cors', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
