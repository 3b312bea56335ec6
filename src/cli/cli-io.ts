import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a CLI command writes: `out` is stdout (reports, help), `err` is stderr (errors, progress).
 * Commands never touch `process` directly, so tests run them in-process and read what they print.
 *
 * @internal
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is an interactive terminal (progress display) and not CI. */
  readonly interactive: boolean;
  /** Rewrites the progress line (interactive only); an empty text clears it. */
  status?(text: string): void;
}

/** The real process streams. @internal */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    interactive: Boolean(process.stderr.isTTY) && !process.env.CI,
    status: (text) => process.stderr.write(`\r\x1b[K${text}`),
  };
}

/** Thrown for bad usage; the command prints the message and its usage and exits 2. @internal */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The package version (src/cli and dist/cli both sit two levels below the package root). @internal */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}
