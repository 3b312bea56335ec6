import { join } from 'node:path';
import { resolveSecurityOptions } from '../security.options';
import { loadSecurityConfig } from './load-security-config';

const SEED = join(__dirname, '../../test/fixtures/seed-config.yaml');
const ENV = { JWT_SECRET: 'a-seed-secret-of-at-least-32-bytes-long!' };

function load(profile: string) {
  const warnings: string[] = [];
  const options = loadSecurityConfig(SEED, { profile, env: ENV, logger: { warn: (m: string) => warnings.push(m) } });
  return { options, warnings, resolved: resolveSecurityOptions(options) };
}

describe("the seed's config.yaml, loaded verbatim", () => {
  it.each(['development', 'staging', 'production'])('loads and validates as the %s profile', (profile) => {
    expect(() => load(profile)).not.toThrow();
  });

  it('maps every seed key to its option', () => {
    const { options, resolved } = load('production');
    expect(options).toEqual({
      profile: 'production',
      rateLimit: { maxRequests: 100, windowSeconds: 60 },
      auth: {
        jwt: { keys: [{ alg: 'HS256', secret: ENV.JWT_SECRET }], accessTokenTtlSec: 3600, refreshTokenTtlSec: 604800 },
      },
      cors: {
        environments: {
          development: {
            origins: ['http://localhost:3000', 'http://localhost:5173'],
            credentials: true,
            exposedHeaders: ['X-Request-ID'],
            maxAge: 600,
          },
          staging: {
            origins: ['https://staging.example.com'],
            credentials: true,
            exposedHeaders: ['X-Request-ID'],
            maxAge: 3600,
          },
          production: {
            origins: ['https://app.example.com'],
            methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
            allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
            credentials: true,
            exposedHeaders: ['X-Request-ID', 'RateLimit', 'RateLimit-Policy', 'Retry-After'],
            maxAge: 86400,
          },
        },
      },
      validation: { maxPayloadBytes: 1048576, maxQueryLength: 500 },
      graphql: { maxDepth: 10, maxCost: 1000 },
    });
    expect(resolved.rateLimit.policies).toEqual([
      expect.objectContaining({ name: 'default', limit: 100, windowMs: 60_000 }),
    ]);
    expect(resolved.auth.jwt.accessTokenTtlSec).toBe(3600);
    expect(resolved.cors).toMatchObject({
      credentials: true,
      maxAge: 86400,
      exposedHeaders: ['X-Request-ID', 'RateLimit', 'RateLimit-Policy', 'Retry-After'],
    });
    expect([...resolved.cors.exact]).toEqual(['https://app.example.com']);
    expect(resolved.validation).toMatchObject({ maxPayloadBytes: 1048576, maxQueryLength: 500 });
    expect(resolved.graphql).toMatchObject({ maxDepth: 10, maxCost: 1000 });
  });

  it("selects the CORS block of the caller's profile", () => {
    const { resolved } = load('development');
    expect([...resolved.cors.exact].sort()).toEqual(['http://localhost:3000', 'http://localhost:5173']);
    expect(resolved.cors).toMatchObject({ credentials: true, maxAge: 600, exposedHeaders: ['X-Request-ID'] });
  });

  it('warns once per key whose option means something different, naming the file and key', () => {
    const { warnings } = load('production');
    expect(warnings).toEqual([
      expect.stringMatching(
        /seed-config\.yaml: cors\.development\.expose_headers replaces the default exposed headers .*RateLimit, RateLimit-Policy, Retry-After/,
      ),
      expect.stringMatching(/seed-config\.yaml: cors\.staging\.expose_headers replaces the default exposed headers/),
      expect.stringMatching(
        /seed-config\.yaml: validation\.max_payload_bytes is checked on Content-Length .*app\.useBodyParser/,
      ),
      expect.stringMatching(
        /seed-config\.yaml: graphql\.max_complexity is compared with this library's schema-aware cost/,
      ),
    ]);
  });
});
