import { fork, type ChildProcess } from 'node:child_process';
import { Controller, Get, type INestApplication, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Roles, SecurityModule, type SecurityModuleOptions } from 'nestjs-rampart';
import { processCpuUs, processRunQueueWaitUs } from './lib/cpu';
import { benchToken, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET } from './lib/fixtures';
import { FreshClientLoad, type FreshClientWindow } from './lib/fresh-client-load';

/*
 * Soak: the full pipeline (headers, edge IP limit, rate limit, JWT, roles, events to a sink) on
 * the memory store, under a sustained request rate where every request comes from a new client IP
 * (`X-Forwarded-For` from loopback, which `trustProxy: ['loopback']` believes), so the stores see
 * one distinct client key per request. Records the server's RSS over time and p99 latency per
 * minute, and the CPU each process spent per request (server and load generator), which says which
 * of the two limits the rate. Run with
 * `node bench/soak.cjs [--minutes 5] [--rate 3500] [--connections 200] [--pipelining 1] [--adapter fastify|express]`.
 */

/** Limits set where they never trip: the soak measures memory and latency, not refusals. */
const NEVER_TRIPS = { maxRequests: 1_000_000_000, windowSeconds: 600 };

interface Sample {
  atSeconds: number;
  rssMiB: number;
  heapUsedMiB: number;
}

/** One minute: what the load generator saw, and the server's CPU. */
interface MinuteResult extends FreshClientWindow {
  minute: number;
  /** Server CPU (user + system) per answered request, µs; its share of one core. */
  serverCpuUsPerRequest?: number;
  serverCores?: number;
  /** Share of the minute the server's main thread was runnable but waited for a core (other load). */
  serverRunQueueWait?: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

// ---------------------------------------------------------------- server (child process)

@Controller('items')
class ItemsController {
  @Get(':id')
  @Roles('user')
  get(@Param('id') id: string): { id: string; name: string } {
    return { id, name: `item ${id}` };
  }
}

async function serve(adapter: string): Promise<void> {
  let eventBytes = 0;
  const options: SecurityModuleOptions = {
    storage: { type: 'memory' },
    trustProxy: ['loopback'],
    events: { enabled: true, logger: false, sinks: [(event) => void (eventBytes += JSON.stringify(event).length)] },
    rateLimit: NEVER_TRIPS,
    auth: { jwt: { secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE } },
    authorization: { roles: { user: { permissions: ['read'] } } },
  };

  @Module({ imports: [SecurityModule.forRoot(options)], controllers: [ItemsController] })
  class SoakModule {}

  const nestOptions = { logger: ['error' as const] };
  const app: INestApplication =
    adapter === 'express'
      ? await NestFactory.create(SoakModule, nestOptions)
      : await NestFactory.create(SoakModule, new FastifyAdapter({ logger: false }), nestOptions);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.on('message', (message: unknown) => {
    if (message === 'sample') {
      const { rss, heapUsed } = process.memoryUsage();
      process.send?.({ type: 'sample', rss, heapUsed, eventBytes });
    } else if (message === 'stop') {
      void app.close().then(() => process.exit(0));
    }
  });
  // The driver went away (ended, killed): do not outlive it.
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
  process.send?.({ type: 'ready', port });
}

// ---------------------------------------------------------------- driver (parent process)

function request(child: ChildProcess, message: string): Promise<{ rss: number; heapUsed: number }> {
  return new Promise((resolve) => {
    const onMessage = (reply: { type: string; rss: number; heapUsed: number }): void => {
      if (reply.type !== 'sample') return;
      child.off('message', onMessage);
      resolve(reply);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

/** 10.a.b.c for the n-th client: 16.7 million distinct addresses. */
function clientIp(n: number): string {
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

async function drive(): Promise<void> {
  const minutes = Number(arg('minutes', '5'));
  const rate = Number(arg('rate', '3500'));
  const adapter = arg('adapter', 'fastify');
  const connections = Number(arg('connections', '200'));
  const pipelining = Number(arg('pipelining', '1'));
  const child = fork(__filename, ['--serve', '--adapter', adapter], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { type: string; port: number }) => (m.type === 'ready' ? resolve(m.port) : reject(m)));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const token = benchToken();
  const samples: Sample[] = [];
  const started = Date.now();
  const sample = async (): Promise<void> => {
    const { rss, heapUsed } = await request(child, 'sample');
    samples.push({
      atSeconds: Math.round((Date.now() - started) / 1000),
      rssMiB: mib(rss),
      heapUsedMiB: mib(heapUsed),
    });
  };
  await sample();
  const sampler = setInterval(() => void sample(), 10_000);

  const load = new FreshClientLoad(
    {
      port,
      path: '/items/42',
      headers: { authorization: `Bearer ${token}` },
      clientAddress: clientIp,
    },
    { connections, rate, pipelining },
  );
  await load.open();
  const results: MinuteResult[] = [];
  for (let minute = 1; minute <= minutes; minute++) {
    const serverCpuBefore = processCpuUs(child.pid);
    const serverWaitBefore = processRunQueueWaitUs(child.pid);
    const window = await load.measure(60);
    const serverCpuAfter = processCpuUs(child.pid);
    const serverWaitAfter = processRunQueueWaitUs(child.pid);
    const serverUs =
      serverCpuBefore === undefined || serverCpuAfter === undefined ? undefined : serverCpuAfter - serverCpuBefore;
    const last: MinuteResult = {
      minute,
      ...window,
      serverCpuUsPerRequest: serverUs === undefined ? undefined : Math.round(serverUs / Math.max(1, window.requests)),
      serverCores: serverUs === undefined ? undefined : Math.round((serverUs / 1e6 / window.durationSec) * 100) / 100,
      serverRunQueueWait:
        serverWaitBefore === undefined || serverWaitAfter === undefined
          ? undefined
          : Math.round(((serverWaitAfter - serverWaitBefore) / 1e6 / window.durationSec) * 100) / 100,
    };
    results.push(last);
    process.stderr.write(
      `[soak] minute ${minute}: ${last.requests} requests (${last.rps}/s), p50 ${last.p50} ms, p99 ${last.p99} ms, ` +
        `non-2xx ${last.non2xx}, errors ${last.errors}, timeouts ${last.timeouts}; ${load.clients} distinct clients so far; ` +
        `RSS ${samples[samples.length - 1]?.rssMiB} MiB; CPU µs/request: server ${last.serverCpuUsPerRequest ?? '?'} ` +
        `(${last.serverCores ?? '?'} core, waited for a core ${last.serverRunQueueWait ?? '?'} of the time), ` +
        `load generator ${last.driverCpuUsPerRequest}; ${last.behind} requests behind the rate\n`,
    );
  }
  load.close();
  clearInterval(sampler);
  await sample();
  child.send('stop');

  const out = {
    command: `node bench/soak.cjs --minutes ${minutes} --rate ${rate} --connections ${connections} --pipelining ${pipelining} --adapter ${adapter}`,
    node: process.version,
    distinctClients: load.clients,
    minutes: results,
    rss: samples,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

if (process.argv.includes('--serve')) {
  void serve(arg('adapter', 'fastify'));
} else {
  drive().catch((error: unknown) => {
    process.stderr.write(`[soak] failed: ${String(error)}\n`);
    process.exit(1);
  });
}
