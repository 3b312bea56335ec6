import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import Redis from 'ioredis';
import { join } from 'node:path';
import { spawnRedis } from '../../test/fixtures/redis-server';
import type { AdapterName, ReadyMessage, ScenarioId, StackName } from './scenarios';

/**
 * CPU pinning (Linux `taskset`): the server under load gets the last core to itself; this process
 * (autocannon) and redis-server share the others. Without it the load generator and the server
 * fight over the same cores and ratios swing by ±0.1 from run to run on a 2-core machine.
 * `BENCH_NO_PIN=1` turns it off; it is off where taskset or a second core is missing.
 */
export const PINNING: { server: string; others: string } | undefined = pinningPlan();

function pinningPlan(): { server: string; others: string } | undefined {
  if (process.env.BENCH_NO_PIN === '1' || process.platform !== 'linux') return undefined;
  const cores = availableParallelism();
  if (cores < 2 || spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status !== 0) return undefined;
  return { server: String(cores - 1), others: cores === 2 ? '0' : `0-${cores - 2}` };
}

/** Pins every thread of `pid` to `cores` (a taskset list), when pinning is on. */
export function pin(pid: number | undefined, role: 'server' | 'others'): void {
  if (!PINNING || pid === undefined) return;
  spawnSync('taskset', ['-a', '-cp', PINNING[role], String(pid)], { stdio: 'ignore' });
}

/** Waits for `child` to exit, killing it with SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A private redis-server this run started: persistence off, loopback only. */
export interface BenchRedis {
  url: string;
  /** Calls per command so far (`INFO commandstats`): proves the Redis scenarios used Redis. */
  commandCalls(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

async function commandCalls(url: string): Promise<Record<string, number>> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('commandstats');
    const calls: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls[match[1]] = Number(match[2]);
    return calls;
  } finally {
    client.disconnect();
  }
}

/** Starts `redis-server` on a free loopback port, pinned beside the load generator. */
export async function startRedis(): Promise<BenchRedis> {
  const redis = await spawnRedis();
  pin(redis.pid > 0 ? redis.pid : undefined, 'others');
  return { url: redis.url, commandCalls: () => commandCalls(redis.url), stop: () => redis.stop() };
}

/** A running benchmark server process. */
export interface BenchServer {
  ready: ReadyMessage;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Options for {@link startServer}. */
export interface StartServerOptions {
  stack: StackName;
  adapter: AdapterName;
  scenarios: readonly ScenarioId[];
  redisUrl?: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  execArgv?: string[];
  timeoutMs?: number;
}

/** Forks `bench/dist/bench/server/main.js` and waits for its ready message. */
export function startServer(options: StartServerOptions): Promise<BenchServer> {
  const child = fork(join(__dirname, '..', 'server', 'main.js'), [], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      BENCH_STACK: options.stack,
      BENCH_ADAPTER: options.adapter,
      BENCH_SCENARIOS: options.scenarios.join(','),
      BENCH_REDIS_URL: options.redisUrl ?? '',
    },
    // BENCH_NODE_FLAGS: extra Node flags for every server (e.g. --single-threaded-gc), for A/B runs.
    execArgv: [...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), ...(options.execArgv ?? [])],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  pin(child.pid, 'server');
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.stack}/${options.adapter} server not ready in time. stderr:\n${stderr}`));
    }, options.timeoutMs ?? 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.stack}/${options.adapter} server exited (${code}). stderr:\n${stderr}`));
    });
    child.once('message', (message: ReadyMessage) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ ready: message, child, stderr: () => stderr, stop: () => stopChild(child) });
    });
  });
}
