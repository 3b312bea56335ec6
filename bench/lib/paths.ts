import { join } from 'node:path';

/**
 * Where things are. The benchmark compiles with the repository as its root directory (it imports
 * the shared fixtures of `test/fixtures/`), so `bench/lib/paths.ts` runs as
 * `bench/dist/bench/lib/paths.js`.
 */
export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
/** `bench/`: results are written under it. */
export const BENCH_DIR = join(REPO_ROOT, 'bench');
