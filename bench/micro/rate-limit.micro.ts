import 'reflect-metadata';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import {
  MemorySecurityStorage,
  RateLimiterService,
  RateLimitGuard,
  type MemoryScriptOps,
  type SecurityModuleOptions,
} from 'nestjs-rampart';
import { RedisThrottlerStorage } from '../server/usual-stack';
import { fakeRequest, fakeResponse, httpContext, onlyFeatures, rampartContext } from './context';
import type { MicroResult } from './micro-runner';
import { concurrent, guarded, sequential } from './timing';

/**
 * One rate-limit decision, made by each library's guard from a fake HTTP context: nestjs-rampart's
 * RateLimitGuard (sliding window, one atomic script) against @nestjs/throttler's ThrottlerGuard
 * (default in-memory storage, or a nest-lab-style Redis storage). Limits never trip: this measures
 * the admitted path, which is what every request pays.
 */

class ItemsController {
  get(): string {
    return 'ok';
  }
}
const handler = ItemsController.prototype.get;
const NEVER_TRIPS = { maxRequests: 1_000_000_000, windowSeconds: 60 };

const decide = (guard: CanActivate) => (): unknown =>
  guard.canActivate(httpContext(fakeRequest(), fakeResponse(), handler, ItemsController) as ExecutionContext);

interface RampartLimiter {
  guard: CanActivate;
  /** Whether decisions fell back to the in-memory insurance limiter (the store failed). */
  degraded: () => boolean;
  close: () => Promise<void>;
}

async function rampartGuard(store: 'memory' | 'redis'): Promise<RampartLimiter> {
  const storage: SecurityModuleOptions['storage'] =
    store === 'redis'
      ? { type: 'redis', url: process.env.BENCH_REDIS_URL, keyPrefix: 'bench-micro:' }
      : { type: 'memory' };
  const app = await rampartContext(onlyFeatures({ rateLimit: NEVER_TRIPS, storage }));
  const limiter = app.get(RateLimiterService, { strict: false });
  const guard = app.get(RateLimitGuard, { strict: false });
  // One decision first, so the connection is up before the clock starts.
  await decide(guard)();
  return { guard, degraded: () => limiter.isDegraded, close: () => app.close() };
}

/** Refuses a Redis result measured while the limiter had fallen back to memory. */
function checked(limiter: RampartLimiter, result: MicroResult): MicroResult {
  if (!limiter.degraded()) return result;
  return { ...result, usPerOp: undefined, opsPerSec: undefined, note: 'store degraded (memory fallback)' };
}

async function throttlerGuard(storage: ThrottlerStorage): Promise<CanActivate> {
  const guard = new ThrottlerGuard({ throttlers: [{ ttl: 60_000, limit: 1_000_000_000 }] }, storage, new Reflector());
  await guard.onModuleInit();
  return guard;
}

/**
 * A write into a full memory store evicts the least recently written counter. It must cost about
 * what a rewrite of an existing key costs (constant time): an eviction that walked the holes left
 * by earlier deletions was ~20x slower. Both cases run on a store holding 50,000 entries.
 */
async function memoryEviction(): Promise<void> {
  const storage = new MemorySecurityStorage({ maxEntries: 50_000 });
  const write = { name: 'w', lua: '', memory: (ops: MemoryScriptOps, [key]: string[]) => (ops.set(key, 'v'), 1) };
  for (let i = 0; i < 50_000; i++) storage.runSync(write, [`k${i}`], []);
  let n = 0;
  const base = { suite: 'memory store', impl: 'nestjs-rampart' };
  await guarded({ ...base, case: 'rewrite of an existing key (full store)' }, () =>
    sequential({ ...base, case: 'rewrite of an existing key (full store)' }, () =>
      storage.runSync(write, [`k${n++ % 50_000}`], []),
    ),
  );
  await guarded({ ...base, case: 'write that evicts (full store)' }, () =>
    sequential({ ...base, case: 'write that evicts (full store)' }, () => storage.runSync(write, [`n${n++}`], [])),
  );
}

async function main(): Promise<void> {
  const redisUrl = process.env.BENCH_REDIS_URL;
  await memoryEviction();
  // Memory.
  {
    const base = { suite: 'rate-limit', case: 'memory store, 1 in flight' };
    let close: (() => Promise<void>) | undefined;
    await guarded({ ...base, impl: 'nestjs-rampart' }, async () => {
      const r = await rampartGuard('memory');
      close = r.close;
      return sequential({ ...base, impl: 'nestjs-rampart' }, decide(r.guard));
    });
    await close?.();
    const impl = '@nestjs/throttler';
    await guarded({ ...base, impl }, async () =>
      sequential({ ...base, impl }, decide(await throttlerGuard(new ThrottlerStorageService()))),
    );
  }
  if (!redisUrl) return;
  // Redis: latency with one decision in flight, then throughput with 64 in flight.
  for (const inFlight of [1, 64]) {
    const base = { suite: 'rate-limit', case: `Redis store, ${inFlight} in flight` };
    const run = (fn: () => unknown) =>
      inFlight === 1
        ? (impl: string) => sequential({ ...base, impl }, fn)
        : (impl: string) => concurrent({ ...base, impl }, async () => fn(), inFlight);
    let close: (() => Promise<void>) | undefined;
    await guarded({ ...base, impl: 'nestjs-rampart' }, async () => {
      const r = await rampartGuard('redis');
      close = r.close;
      return checked(r, await run(decide(r.guard))('nestjs-rampart'));
    });
    await close?.();
    const storage = new RedisThrottlerStorage(redisUrl);
    const impl = '@nestjs/throttler';
    await guarded({ ...base, impl }, async () => run(decide(await throttlerGuard(storage)))(impl));
    await storage.onModuleDestroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
