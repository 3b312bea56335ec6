import 'reflect-metadata';
import { RateLimitGuard } from 'nestjs-rampart';
import { httpContext, rampartContext } from './context';

/**
 * Heap bytes per tracked key in the memory store: N distinct client IPs, each decided once by
 * `RateLimitGuard` as the module builds it (memory store, one policy, so one key per IP), heap
 * and off-heap buffers measured after a full GC before and after, and the growth of RSS. The figure includes the key string and its
 * per-key state, the Map slot, and nothing per request (requests are dropped).
 * Run: `node --expose-gc bench/dist/bench/micro/memory-per-key.js` (N=200000 by default).
 */

const N = Number(process.env.N ?? 200_000);
const STATE = Symbol.for('nestjs-rampart:state');

class BenchController {
  get(): void {}
}

/** Heap plus off-heap buffers (a typed array's backing store may live outside the heap), after a full GC. */
function bytesAfterGc(): { heap: number; buffers: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, buffers: usage.arrayBuffers };
}

async function main(): Promise<void> {
  const app = await rampartContext({
    events: { enabled: false },
    storage: { type: 'memory', maxEntries: N * 2 },
    rateLimit: { policies: { default: { limit: 1_000_000, windowSeconds: 3600 } } },
  });
  const guard = app.get(RateLimitGuard, { strict: false });
  const res = { setHeader: () => undefined, getHeader: () => undefined };
  const decide = (ip: string): void => {
    const req = { headers: {}, [STATE]: { ip, authenticated: false } };
    void guard.canActivate(httpContext(req, res, BenchController.prototype.get, BenchController));
  };
  decide('192.0.2.1'); // the route plan, compiled once
  const before = bytesAfterGc();
  const rssBefore = process.memoryUsage().rss;
  // IPs are built inside the loop: each key string is owned by the store alone, as in production.
  for (let i = 0; i < N; i++) decide(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const after = bytesAfterGc();
  const perKey = (bytes: number): string => (bytes / N).toFixed(0);
  console.log(
    `${N} tracked keys (rate limit, memory store, 1 policy): ${perKey(after.heap - before.heap)} heap bytes + ` +
      `${perKey(after.buffers - before.buffers)} off-heap bytes per key; RSS grew ${perKey(process.memoryUsage().rss - rssBefore)} bytes per key`,
  );
  await app.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
