import 'reflect-metadata';
import { MemoryThrottlerStorage, RateLimitGuard } from 'nestjs-rampart';
import { httpContext, rampartContext } from './context';

/**
 * Micro-benchmark of one memory-store rate-limit decision (issue 5 target: < 2 µs):
 * 1. `MemoryThrottlerStorage.incrementSync` (the sliding-window script on the bounded map);
 * 2. `RateLimitGuard.canActivate` end to end (plan lookup, keys, script, headers), two policies.
 * Trackers rotate over 10 000 IPs so the map is realistic. Run: `node bench/dist/bench/micro/rate-limit-decision.js`.
 */

const N = Number(process.env.N ?? 2_000_000);
const IPS = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

function measure(name: string, fn: (i: number) => void): void {
  for (let i = 0; i < 200_000; i++) fn(i); // warm-up (JIT)
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) fn(i);
  const used = process.cpuUsage(cpu);
  const wallNs = Number(process.hrtime.bigint() - start) / N;
  // CPU time is what a decision costs; wall time also counts time the OS gave to other processes.
  const cpuNs = ((used.user + used.system) * 1000) / N;
  console.log(`${name.padEnd(54)} ${(cpuNs / 1000).toFixed(3)} µs CPU, ${(wallNs / 1000).toFixed(3)} µs wall`);
}

class BenchController {
  get(): void {}
}

async function main(): Promise<void> {
  const storage = new MemoryThrottlerStorage();
  measure('MemoryThrottlerStorage.incrementSync (1 policy)', (i) => {
    storage.incrementSync(IPS[i % IPS.length], 60_000, 1_000_000_000, 0, 'default');
  });

  // The guard as the module builds it (memory store, two policies), taken from the app context.
  const app = await rampartContext({
    events: { enabled: false },
    rateLimit: {
      policies: {
        short: { limit: 1_000_000_000, windowSeconds: 1 },
        long: { limit: 1_000_000_000, windowSeconds: 3600 },
      },
    },
  });
  const guard = app.get(RateLimitGuard, { strict: false });
  const headers: Record<string, string> = {};
  // What the edge middleware leaves on every request: the resolved client IP in the security state.
  const STATE = Symbol.for('nestjs-rampart:state');
  const reqs = IPS.map((ip) => ({ headers: {}, [STATE]: { ip, authenticated: false } }));
  const res = { setHeader: (k: string, v: string) => (headers[k] = v), getHeader: (k: string) => headers[k] };
  const contexts = reqs.map((req) => httpContext(req, res, BenchController.prototype.get, BenchController));
  measure('RateLimitGuard.canActivate (2 policies, IETF headers)', (i) => {
    delete headers.RateLimit;
    delete headers['RateLimit-Policy'];
    void guard.canActivate(contexts[i % contexts.length]);
  });
  await app.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
