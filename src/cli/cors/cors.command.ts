import type { CliIo } from '../cli-io';
import { UsageError } from '../cli-io';
import { parseCliArgs } from '../cli-args.util';
import { generateCorsPolicy, type GenerateCorsPolicyOptions } from '../../cors/generate-cors-policy';

const ENVIRONMENTS = ['development', 'staging', 'production'] as const;

/** `rampart cors --help`. @internal */
export const CORS_USAGE = `Usage: rampart cors <development|staging|production> [origin ...] [options]

Prints a validated CORS policy for SecurityModule.forRoot({ cors }) and explains it.
Origins: exact (https://app.example.com) or subdomain patterns (https://*.example.com),
separated by spaces or commas. Refuses what the module refuses at boot: *, with
credentials, null, http origins in production...

Options:
  --credentials      allow cookies / HTTP authentication (refused with *)
  --max-age <s>      preflight cache lifetime in seconds
  --json             print the policy and its explanation as JSON
  -h, --help         show this help

Exit codes: 0 policy printed, 1 the policy is refused (the reason is printed), 2 bad usage.`;

/**
 * `rampart cors`: the CORS policy generator. Returns the exit code.
 *
 * @internal
 */
export function runCorsCommand(argv: readonly string[], io: CliIo): number {
  const { values, positionals } = parseCliArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      credentials: { type: 'boolean' },
      'max-age': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(CORS_USAGE);
    return 0;
  }
  const [env, ...rest] = positionals;
  if (!env) throw new UsageError('missing the environment (development, staging or production)');
  if (!(ENVIRONMENTS as readonly string[]).includes(env))
    throw new UsageError(`unknown environment "${env}" (expected development, staging or production)`);
  const choices: GenerateCorsPolicyOptions = {};
  if (values.credentials) choices.credentials = true;
  if (values['max-age'] !== undefined) {
    const maxAge = Number(values['max-age']);
    if (!Number.isInteger(maxAge) || maxAge < 0) throw new UsageError('--max-age must be a whole number of seconds');
    choices.maxAge = maxAge;
  }
  const origins = rest.flatMap((arg) => arg.split(',')).filter(Boolean);
  try {
    const report = generateCorsPolicy(env as (typeof ENVIRONMENTS)[number], origins, choices);
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(`cors.environments.${env} =`);
      io.out(JSON.stringify(report.options, null, 2));
      io.out('');
      io.out(report.explanation.join('\n'));
    }
    return 0;
  } catch (error) {
    // The generator refuses a dangerous policy with the module's boot error: print it, exit 1.
    if (error instanceof Error && error.name === 'SecurityConfigError') {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}
