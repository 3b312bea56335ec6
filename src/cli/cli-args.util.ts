import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-io';

/**
 * `util.parseArgs` in strict mode, with its errors turned into a {@link UsageError} that names the
 * offending argument ("Unknown option '--nope'", "--budget needs a value").
 *
 * @internal
 */
export function parseCliArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    // strict is parseArgs's default; callers never turn it off.
    return parseArgs<T>(config);
  } catch (error) {
    // Read code and message structurally: under a test VM the error comes from another realm.
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS') && typeof message === 'string')
      throw new UsageError(message.replace(/\. To specify a positional.*$/s, '.'));
    throw error;
  }
}
