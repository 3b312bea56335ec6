import { packageVersion, processIo, UsageError, type CliIo } from './cli-io';
import { CORS_USAGE, runCorsCommand } from './cors/cors.command';
import { runScanCommand, SCAN_USAGE } from './scan/scan.command';

/** `rampart --help`. @internal */
export const RAMPART_USAGE = `Usage: rampart <command> [options]

Commands:
  scan    test a running API against the OWASP API Security Top 10 (2023);
          HTML, JSON and SARIF reports (rampart scan --help)
  cors    print a validated CORS policy for SecurityModule (rampart cors --help)

Options:
  -h, --help      show this help
  -v, --version   print the version`;

const COMMANDS: Record<
  string,
  { usage: string; run: (argv: readonly string[], io: CliIo) => number | Promise<number> }
> = {
  scan: { usage: SCAN_USAGE, run: runScanCommand },
  cors: { usage: CORS_USAGE, run: runCorsCommand },
};

/**
 * The `rampart` command: dispatches to a subcommand and returns the exit code. Usage errors name
 * the offending argument and exit 2; help goes to stdout and exits 0; an unexpected failure prints
 * its message (never a stack trace unless `RAMPART_DEBUG=1`) and exits 2.
 *
 * @internal
 */
export async function runRampart(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help' || name === 'help') {
    io.out(RAMPART_USAGE);
    return 0;
  }
  if (name === '-v' || name === '--version') {
    io.out(packageVersion());
    return 0;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    io.err(`rampart: ${name === undefined ? 'missing a command' : `unknown command "${name}"`}\n\n${RAMPART_USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`rampart ${name}: ${error.message}\nRun "rampart ${name} --help" for the options.`);
      return 2;
    }
    const { message, stack } = error as { message?: unknown; stack?: unknown };
    io.err(`rampart ${name}: ${typeof message === 'string' ? message : String(error)}`);
    if (process.env.RAMPART_DEBUG === '1' && typeof stack === 'string') io.err(stack);
    return 2;
  }
}
