import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU time (user + system, µs) a process has used so far, from /proc (Linux). Undefined where
 * /proc is not available. Resolution is one clock tick (10 ms), fine over a 1 s+ measurement.
 */
export function processCpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1e6) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * Time the main thread of `pid` has spent runnable but waiting for a core, µs (Linux
 * `/proc/<pid>/schedstat`, which needs schedstats in the kernel). A large share of wall time says
 * other load on the machine, not the process's own cost, limited it. Undefined elsewhere.
 */
export function processRunQueueWaitUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const waitNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(waitNs) ? waitNs / 1000 : undefined;
  } catch {
    return undefined;
  }
}
