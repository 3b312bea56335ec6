import type { MicroResult } from './micro-runner';

/** Micro-benchmark settings from argv: `--quick` measures for less time. */
export const QUICK = process.argv.includes('--quick');
export const MEASURE_MS = QUICK ? 200 : 1_500;
export const WARMUP_MS = QUICK ? 80 : 400;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

async function loopFor(fn: () => unknown, ms: number): Promise<{ iterations: number; elapsedNs: bigint }> {
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let iterations = 0;
  let now = start;
  while (now < end) {
    // Batches of 16 between clock reads keep hrtime out of the measurement.
    for (let i = 0; i < 16; i++) {
      const out = fn();
      if (isThenable(out)) await out;
    }
    iterations += 16;
    now = process.hrtime.bigint();
  }
  return { iterations, elapsedNs: now - start };
}

/** Runs `fn` sequentially (awaiting it when it returns a promise) and reports µs/op. */
export async function sequential(
  base: Pick<MicroResult, 'suite' | 'case' | 'impl'>,
  fn: () => unknown,
): Promise<MicroResult> {
  await loopFor(fn, WARMUP_MS);
  const { iterations, elapsedNs } = await loopFor(fn, MEASURE_MS);
  const usPerOp = Number(elapsedNs) / 1_000 / iterations;
  return { ...base, usPerOp, opsPerSec: 1e6 / usPerOp, iterations };
}

/** Keeps `concurrency` calls of `fn` in flight and reports overall ops/s (for I/O-bound cases). */
export async function concurrent(
  base: Pick<MicroResult, 'suite' | 'case' | 'impl'>,
  fn: () => Promise<unknown>,
  concurrency: number,
): Promise<MicroResult> {
  const run = async (ms: number): Promise<{ iterations: number; elapsedNs: bigint }> => {
    const start = process.hrtime.bigint();
    const end = start + BigInt(ms) * 1_000_000n;
    let iterations = 0;
    const worker = async (): Promise<void> => {
      while (process.hrtime.bigint() < end) {
        await fn();
        iterations++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { iterations, elapsedNs: process.hrtime.bigint() - start };
  };
  await run(WARMUP_MS);
  const { iterations, elapsedNs } = await run(MEASURE_MS);
  return { ...base, opsPerSec: iterations / (Number(elapsedNs) / 1e9), iterations };
}

/** Prints one result as a JSON line (the micro runner collects them). */
export function emit(result: MicroResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Runs `body`, turning any failure into a result with a note instead of a crash. */
export async function guarded(
  base: Pick<MicroResult, 'suite' | 'case' | 'impl'>,
  body: () => Promise<MicroResult>,
): Promise<void> {
  try {
    emit(await body());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    emit({ ...base, note: message.split('\n')[0].slice(0, 80) });
  }
}
