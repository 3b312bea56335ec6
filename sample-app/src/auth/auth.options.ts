import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { AuthOptions } from 'nestjs-rampart';

/**
 * The sample app's authentication: HS256 tokens signed with `JWT_SECRET`, API keys hashed with
 * `API_KEY_PEPPER`, CSRF tokens of cookie sessions signed with `SESSION_CSRF_SECRET`. Any one unset
 * gets a random value per start (tokens and keys then do not survive a restart), with a warning.
 */
export function sampleAuthOptions(env: NodeJS.ProcessEnv = process.env): AuthOptions {
  return {
    jwt: {
      secret: env.JWT_SECRET ?? randomSecret('JWT_SECRET', env),
      issuer: 'nestjs-rampart-sample',
      audience: 'nestjs-rampart-sample-api',
    },
    apiKeys: {
      pepper: env.API_KEY_PEPPER ?? randomSecret('API_KEY_PEPPER', env),
      // sk_test keys are refused when the app runs with the production profile.
      prefixes: ['sk_live', 'sk_test'],
      // The defaults, spelled out: keys live 90 days at most, minting needs a login from the last
      // 5 minutes, and a key dies with the session that minted it.
      maxLifetimeSec: 90 * 86_400,
      mintMaxLoginAgeSec: 300,
      revokeWithSession: true,
    },
    // Step-up: @RequireMfa() routes want a TOTP code from the last 15 minutes (the default);
    // 5 wrong codes per user lock verification for 15 minutes.
    mfa: { maxAgeSec: 900, totp: { issuer: 'Rampart Sample', maxAttempts: 5, attemptWindowSec: 900 } },
    // Browser sessions (SessionController): token cookies + CSRF tokens. The cookies are Secure;
    // browsers accept those from http://localhost too, so this works in development.
    session: {
      csrfSecret: env.SESSION_CSRF_SECRET ?? randomSecret('SESSION_CSRF_SECRET', env),
      refreshPath: '/auth/session',
    },
  };
}

function randomSecret(name: string, env: NodeJS.ProcessEnv): string {
  if (env.NODE_ENV !== 'test') {
    new Logger('SampleApp').warn(
      `${name} is not set: using a random one for this run (tokens/keys die at restart). Set it to 32+ random bytes.`,
    );
  }
  return randomBytes(48).toString('base64url');
}
