import type { RateLimitOptions } from 'nestjs-rampart';

/**
 * The sample app's rate limits: 100 requests/min per IP before authentication, then tiers
 * (anonymous 20/min + 100/h, authenticated 60/min + 1000/h, paid 300/min + 10000/h), and failed
 * logins: 5 per 5 min per IP + username, 100 per hour per username from any IP, 50 per 15 min per
 * IP across usernames (the library's defaults, spelled out). Under Jest (`NODE_ENV=test`) every quota is 100× larger so
 * e2e suites that share one loopback client are not throttled; `RATE_LIMIT_DISABLED=true` turns the
 * feature off entirely.
 */
export function sampleRateLimitOptions(env: NodeJS.ProcessEnv = process.env): RateLimitOptions {
  const scale = env.NODE_ENV === 'test' ? 100 : 1;
  const q = (limit: number, windowSeconds: number) => ({ limit: limit * scale, windowSeconds });
  return {
    enabled: env.RATE_LIMIT_DISABLED !== 'true',
    maxRequests: 100 * scale,
    windowSeconds: 60,
    tiers: {
      anonymous: { minute: q(20, 60), hour: q(100, 3600) },
      authenticated: { minute: q(60, 60), hour: q(1000, 3600) },
      paid: { minute: q(300, 60), hour: q(10_000, 3600) },
    },
    allowlist: env.RATE_LIMIT_ALLOWLIST ? env.RATE_LIMIT_ALLOWLIST.split(',') : [],
    login: {
      maxAttempts: 5 * scale,
      windowSeconds: 300,
      perUsername: { maxAttempts: 100 * scale, windowSeconds: 3600 },
      perIp: { maxAttempts: 50 * scale, windowSeconds: 900 },
    },
  };
}
