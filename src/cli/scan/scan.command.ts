import type { CliIo } from '../cli-io';
import { UsageError } from '../cli-io';

/** `rampart scan --help`. @internal */
export const SCAN_USAGE = `Usage: rampart scan --target URL [options]`;

/** `rampart scan`. @internal */
export async function runScanCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(SCAN_USAGE);
    return 0;
  }
  throw new UsageError('not built yet');
}
