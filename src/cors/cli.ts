#!/usr/bin/env node
import { SecurityConfigError } from '../core/errors/security-config.error';
import type { SecurityProfile } from '../core/options/core.options';
import { generateCorsPolicy, type GenerateCorsPolicyOptions } from './generate-cors-policy';

const USAGE = `Usage: rampart-cors <development|staging|production> [origin ...] [--credentials] [--max-age <s>] [--json]

Prints a validated CORS policy for SecurityModule.forRoot({ cors }) and explains it.
Origins: exact (https://app.example.com) or subdomain patterns (https://*.example.com).
Refuses what the module refuses at boot: *, with credentials, null, http origins in production...`;

/**
 * Runs the CORS generator CLI with `argv` (without `node` and the script) and returns the exit
 * code. Output goes to `out`, errors to `err`.
 *
 * @internal
 */
export function runCorsCli(
  argv: readonly string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  err: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): number {
  const [env, ...rest] = argv;
  if (!env || env === '--help' || env === '-h' || !['development', 'staging', 'production'].includes(env)) {
    err(USAGE);
    return env === '--help' || env === '-h' ? 0 : 2;
  }
  const choices: GenerateCorsPolicyOptions = {};
  const origins: string[] = [];
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--credentials') choices.credentials = true;
    else if (arg === '--json') json = true;
    else if (arg === '--max-age') choices.maxAge = Number(rest[++i]);
    else if (arg.startsWith('--')) {
      err(`Unknown flag ${arg}\n\n${USAGE}`);
      return 2;
    } else origins.push(...arg.split(',').filter(Boolean));
  }
  try {
    const report = generateCorsPolicy(env as SecurityProfile, origins, choices);
    if (json) out(JSON.stringify(report, null, 2));
    else {
      out(`cors.environments.${env} =`);
      out(JSON.stringify(report.options, null, 2));
      out('');
      out(report.explanation.join('\n'));
    }
    return 0;
  } catch (error) {
    if (error instanceof SecurityConfigError) {
      err(error.message);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) process.exitCode = runCorsCli(process.argv.slice(2));
