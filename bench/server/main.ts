import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  ADAPTERS,
  type AdapterName,
  type AppStatus,
  type ReadyMessage,
  scenarioById,
  STACKS,
  type StackName,
} from '../lib/scenarios';
import { buildGraphql } from './graphql-stack';
import { buildRampart, eventSinkBytes } from './rampart-stack';
import { buildBare, type BuildContext, type StackBuild } from './stack';
import { buildUsual } from './usual-stack';

/**
 * One benchmark server process: one stack on one adapter, one Nest app per scenario, each on its
 * own loopback port. Started by the runner with BENCH_STACK, BENCH_ADAPTER, BENCH_SCENARIOS and
 * (for Redis scenarios) BENCH_REDIS_URL; it reports the ports over IPC and stops on SIGTERM or
 * SIGINT (closing every app, so `--cpu-prof` gets written).
 */

function env<T extends string>(name: string, allowed: readonly T[]): T {
  const value = process.env[name];
  if (!value || !(allowed as readonly string[]).includes(value)) {
    throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${value ?? ''}"`);
  }
  return value as T;
}

function build(stack: StackName, scenarioId: string, ctx: BuildContext): StackBuild {
  const scenario = scenarioById(scenarioId);
  if (scenario.redis && !ctx.redisUrl) return { status: 'not-applicable', reason: 'no Redis server for this run' };
  if (scenario.graphql) return buildGraphql(stack, scenario, ctx);
  switch (stack) {
    case 'bare':
      return buildBare(scenario);
    case 'rampart':
      return buildRampart(scenario, ctx);
    case 'usual':
      return buildUsual(scenario, ctx);
    default: {
      const never: never = stack;
      throw new Error(`unknown stack ${String(never)}`);
    }
  }
}

async function start(
  built: Extract<StackBuild, { status: 'ok' }>,
  adapter: AdapterName,
): Promise<{ app: INestApplication; port: number; headers: Record<string, string> }> {
  const options = { logger: ['error' as const], abortOnError: false };
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(built.module, new FastifyAdapter({ logger: false }), options)
      : await NestFactory.create(built.module, options);
  built.setup?.(app);
  await app.init();
  const extra = built.afterInit ? await built.afterInit(app) : {};
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, port: address.port, headers: { ...built.headers, ...extra } };
}

async function main(): Promise<void> {
  const stack = env('BENCH_STACK', STACKS);
  const adapter = env('BENCH_ADAPTER', ADAPTERS);
  const scenarios = (process.env.BENCH_SCENARIOS ?? '').split(',').filter(Boolean);
  const ctx: BuildContext = { adapter, redisUrl: process.env.BENCH_REDIS_URL || undefined };
  const apps: INestApplication[] = [];
  const statuses: AppStatus[] = [];

  for (const id of scenarios) {
    const scenario = scenarioById(id).id;
    try {
      const built = build(stack, id, ctx);
      if (built.status !== 'ok') {
        statuses.push({ scenario, status: built.status, reason: built.reason });
        continue;
      }
      const started = await start(built, adapter);
      apps.push(started.app);
      statuses.push({ scenario, status: 'ok', port: started.port, headers: started.headers });
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      statuses.push({ scenario, status: 'error', reason });
    }
  }

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled(apps.map((app) => app.close()));
    if (stack === 'rampart' && eventSinkBytes() > 0) process.stderr.write(`event sink: ${eventSinkBytes()} bytes\n`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop());

  const ready: ReadyMessage = { type: 'ready', stack, adapter, apps: statuses };
  if (process.send) process.send(ready);
  else process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
