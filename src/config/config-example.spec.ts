import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { resolveSecurityOptions, TOP_LEVEL_KEYS } from '../security.options';
import { loadSecurityConfig } from './load-security-config';

const EXAMPLE = join(__dirname, '../../config.example.yaml');
const ENV = { JWT_SECRET: 'an-example-secret-of-at-least-32-bytes!', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('config.example.yaml', () => {
  it.each(['development', 'staging', 'production'])('loads and validates as the %s profile', (profile) => {
    const options = loadSecurityConfig(EXAMPLE, { profile, env: ENV });
    expect(() => resolveSecurityOptions(options)).not.toThrow();
  });

  it('carries the documented defaults, mapped to their options', () => {
    const options = loadSecurityConfig(EXAMPLE, { profile: 'development', env: ENV });
    expect(options).toMatchObject({
      rateLimit: { maxRequests: 100, windowSeconds: 60 },
      auth: {
        jwt: {
          keys: [{ alg: 'HS256', secret: ENV.JWT_SECRET }],
          accessTokenTtlSec: 3600,
          refreshTokenTtlSec: 604800,
        },
      },
      cors: { maxAge: 86400 },
      validation: { maxPayloadBytes: 1048576 },
      graphql: {
        maxDepth: 10,
        maxAliases: 15,
        maxDirectives: 50,
        maxTokens: 2000,
        maxBatchSize: 1,
        maxCost: 5000,
        defaultListSize: 20,
        budget: { points: 10000, windowSec: 60 },
      },
    });
    const resolved = resolveSecurityOptions(options);
    expect(resolved.auth.jwt.accessTokenTtlSec).toBe(3600);
    expect(resolved.auth.jwt.refreshTokenTtlSec).toBe(604800);
    expect(resolved.auth.jwt.keys).toEqual([expect.objectContaining({ alg: 'HS256' })]);
    expect(resolved.auth.apiKeys).toMatchObject({
      maxLifetimeSec: 7_776_000,
      mintMaxLoginAgeSec: 300,
      revokeWithSession: true,
      refusedPrefixes: [],
    });
    expect(resolved.cors.maxAge).toBe(86400);
    expect(resolved.validation.maxPayloadBytes).toBe(1048576);
    expect(resolved.graphql).toMatchObject({ maxDepth: 10, maxCost: 5000 });
    expect(resolved.rateLimit.policies).toEqual([
      expect.objectContaining({ name: 'default', limit: 100, windowMs: 60_000 }),
    ]);
  });

  const document = parseYaml(readFileSync(EXAMPLE, 'utf8')) as Record<string, Record<string, unknown>>;
  const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

  it('has only the shared section and the profiles at the top', () => {
    expect(Object.keys(document).sort()).toEqual(['default', 'development', 'production', 'staging']);
  });

  it.each(Object.keys(document))('uses only real option sections in "%s"', (section) => {
    const unknown = Object.keys(document[section] ?? {}).filter(
      (key) => !(TOP_LEVEL_KEYS as readonly string[]).includes(camel(key)),
    );
    expect(unknown).toEqual([]);
  });

  it('documents every top-level option that a file can set', () => {
    // `profile` is the file's own section name; `isGlobal` belongs to the module import.
    const documented = new Set(Object.keys(document.default).map(camel));
    const missing = TOP_LEVEL_KEYS.filter((key) => key !== 'profile' && key !== 'isGlobal' && !documented.has(key));
    // storage is set per profile (memory in development, Redis elsewhere).
    expect(missing).toEqual(['storage']);
    expect(Object.keys(document.production)).toContain('storage');
  });

  it('lets a profile override the defaults', () => {
    const options = loadSecurityConfig(EXAMPLE, { profile: 'production', env: ENV });
    expect(options).toMatchObject({
      trustProxy: ['10.0.0.0/8'],
      storage: { type: 'redis', url: ENV.REDIS_URL, keyPrefix: 'rampart:' },
      rateLimit: { failOpen: false, maxRequests: 100 },
      cors: { origins: ['https://app.example.com'], maxAge: 86400 },
    });
  });
});

describe('auth shorthands of the config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-aliases-'));
  const load = (yaml: string) => {
    const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, yaml);
    return () => resolveSecurityOptions(loadSecurityConfig(path, { profile: 'development', env: {} }));
  };

  it('refuses a short HMAC secret naming the file key', () => {
    expect(load('development:\n  auth:\n    algorithm: HS256\n    secret: too-short\n')).toThrow(
      /development\.auth\.secret .*32/,
    );
  });

  it('refuses a secret given with an asymmetric algorithm', () => {
    expect(load(`development:\n  auth:\n    algorithm: RS256\n    secret: ${'x'.repeat(40)}\n`)).toThrow(
      /development\.auth\.secret/,
    );
  });

  it('refuses an unknown algorithm naming the file key', () => {
    expect(load(`development:\n  auth:\n    algorithm: none\n    secret: ${'x'.repeat(40)}\n`)).toThrow(
      /development\.auth\.algorithm/,
    );
  });
});
