import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { loadSecurityConfig } from './load-security-config';

const dir = mkdtempSync(join(tmpdir(), 'rampart-config-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const YAML = `
default:
  trust_proxy: [loopback]
  graphql:
    max_depth: 10
    max_cost: 1000
development:
  errors:
    format: nest
production:
  trust_proxy: [10.0.0.0/8]
  storage:
    type: redis
    url: \${REDIS_URL}
    key_prefix: "app:\${APP_NAME:-api}:"
  graphql:
    max_depth: 6
`;

describe('loadSecurityConfig', () => {
  it('merges the default section under the chosen profile and maps snake_case keys', () => {
    const options = loadSecurityConfig(file('a.yaml', YAML), { profile: 'development', env: {} });
    expect(options).toMatchObject({
      profile: 'development',
      trustProxy: ['loopback'],
      errors: { format: 'nest' },
      graphql: { maxDepth: 10, maxCost: 1000 },
    });
  });

  it('interpolates ${ENV} (with :-fallbacks) and lets a profile override the defaults', () => {
    const options = loadSecurityConfig(file('b.yaml', YAML), {
      profile: 'production',
      env: { REDIS_URL: 'redis://10.0.0.5:6379' },
    });
    expect(options).toMatchObject({
      profile: 'production',
      trustProxy: ['10.0.0.0/8'],
      storage: { type: 'redis', url: 'redis://10.0.0.5:6379', keyPrefix: 'app:api:' },
      graphql: { maxDepth: 6, maxCost: 1000 },
    });
  });

  it('maps NODE_ENV-style profile names', () => {
    expect(loadSecurityConfig(file('c.yaml', YAML), { profile: 'dev', env: {} }).profile).toBe('development');
    expect(loadSecurityConfig(file('c2.yaml', YAML), { env: { NODE_ENV: 'test' } }).profile).toBe('development');
  });

  it('reads JSON too', () => {
    const path = file('d.json', JSON.stringify({ staging: { graphql: { max_aliases: 5 } } }));
    expect(loadSecurityConfig(path, { profile: 'staging', env: {} })).toMatchObject({ graphql: { maxAliases: 5 } });
  });

  it.each([
    [
      'a missing environment variable',
      YAML,
      'production',
      /e\.yaml: production\.storage\.url uses \$\{REDIS_URL\} but the environment variable REDIS_URL is not set/,
    ],
    [
      'an unknown key',
      'development:\n  rate_limt: {}\n',
      'development',
      /f\.yaml: development\.rate_limt \(option rateLimt\) is not a known option\. Did you mean "rateLimit"\?/,
    ],
    [
      'a bad value',
      'development:\n  graphql:\n    max_depth: 0\n',
      'development',
      /f\.yaml: development\.graphql\.max_depth \(option graphql\.maxDepth\) must be at least 1/,
    ],
    ['invalid YAML', 'development:\n  - a\n b: [', 'development', /f\.yaml: is not valid YAML/],
    [
      'an unknown section',
      'prod:\n  {}\n',
      'production',
      /f\.yaml: prod is not a section: use default, development, staging, production/,
    ],
    ['a missing profile section', 'development: {}\n', 'staging', /f\.yaml: staging section is missing/],
    [
      'an unknown profile',
      'development: {}\n',
      'qa',
      /f\.yaml: profile "qa" is not one of development, staging, production/,
    ],
  ])('names the file, the key path and the problem for %s', (_label, content, profile, message) => {
    const name = _label === 'a missing environment variable' ? 'e.yaml' : 'f.yaml';
    const path = file(name, content);
    expect(() => loadSecurityConfig(path, { profile, env: {} })).toThrow(SecurityConfigError);
    expect(() => loadSecurityConfig(path, { profile, env: {} })).toThrow(message);
  });

  it('keeps the profile the caller asked for: a profile key in the file cannot switch it', () => {
    const path = file('p.yaml', 'development:\n  profile: production\nproduction: {}\n');
    expect(() => loadSecurityConfig(path, { profile: 'development', env: {} })).toThrow(
      /p\.yaml: development\.profile is "production" but the profile asked for is "development"/,
    );
    const same = file('p2.yaml', 'development:\n  profile: development\n');
    expect(loadSecurityConfig(same, { profile: 'development', env: {} }).profile).toBe('development');
  });

  it('treats an empty NODE_ENV (or profile) as unset', () => {
    const path = file('n.yaml', 'development: {}\n');
    expect(loadSecurityConfig(path, { env: { NODE_ENV: '' } }).profile).toBe('development');
    expect(loadSecurityConfig(path, { profile: '', env: { NODE_ENV: '' } }).profile).toBe('development');
  });

  it('keeps an all-digit ${VAR} a string where the option takes a string, and a number where it takes one', () => {
    const path = file(
      'v.yaml',
      [
        'production:',
        '  storage:',
        '    type: redis',
        '    url: redis://127.0.0.1:6379',
        '    key_prefix: ${PREFIX}',
        '  signing:',
        '    keys:',
        '      k1: ${SIGNING_SECRET}',
        '  graphql:',
        '    max_depth: ${DEPTH}',
        '  events:',
        '    logger: ${LOG_EVENTS}',
        '',
      ].join('\n'),
    );
    const secret = '12345678901234567890123456789012345678';
    const options = loadSecurityConfig(path, {
      profile: 'production',
      env: { PREFIX: '2024', SIGNING_SECRET: secret, DEPTH: '7', LOG_EVENTS: 'false' },
    });
    expect(options).toMatchObject({
      storage: { keyPrefix: '2024' },
      signing: { keys: { k1: secret } },
      graphql: { maxDepth: 7 },
      events: { logger: false },
    });
  });

  it('still reports the real problem of an all-digit value kept as a string', () => {
    const path = file('w.yaml', 'production:\n  signing:\n    keys:\n      k1: ${SIGNING_SECRET}\n');
    expect(() => loadSecurityConfig(path, { profile: 'production', env: { SIGNING_SECRET: '123456' } })).toThrow(
      /w\.yaml: production\.signing\.keys\.k1 \(option signing\.keys\.k1\) is too short \(6 characters\)/,
    );
  });

  it('names a file that cannot be read', () => {
    expect(() => loadSecurityConfig(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot be read \(ENOENT\)/);
  });
});

describe('loadSecurityConfig with a flat file (no profile sections)', () => {
  const quiet = { warn: () => undefined };

  it('reads the whole file as the options of every profile', () => {
    const path = file('flat.yaml', 'trust_proxy: [loopback]\nrate_limit:\n  max_requests: 50\n');
    for (const profile of ['development', 'production']) {
      expect(loadSecurityConfig(path, { profile, env: {}, logger: quiet })).toEqual({
        profile,
        trustProxy: ['loopback'],
        rateLimit: { maxRequests: 50 },
      });
    }
  });

  it('names flat keys without a section in errors', () => {
    const path = file('flat-bad.yaml', 'graphql:\n  max_depth: 0\n');
    expect(() => loadSecurityConfig(path, { profile: 'production', env: {} })).toThrow(
      /flat-bad\.yaml: graphql\.max_depth \(option graphql\.maxDepth\) must be at least 1/,
    );
    const unknown = file('flat-unknown.yaml', 'rate_limt: {}\n');
    expect(() => loadSecurityConfig(unknown, { profile: 'production', env: {} })).toThrow(
      /flat-unknown\.yaml: rate_limt \(option rateLimt\) is not a known option\. Did you mean "rateLimit"\?/,
    );
  });

  it('refuses a file that mixes options and sections', () => {
    const path = file('mixed.yaml', 'rate_limit:\n  max_requests: 5\nproduction:\n  trust_proxy: []\n');
    expect(() => loadSecurityConfig(path, { profile: 'production', env: {} })).toThrow(
      /mixed\.yaml: rate_limit is not a section: use default, development, staging, production \(or no sections at all/,
    );
  });

  it('maps the CORS key names at the top of cors, per environment and under environments alike', () => {
    const path = file(
      'cors.yaml',
      [
        'cors:',
        '  allowed_origins: [https://a.example.com]',
        '  allow_credentials: true',
        '  production:',
        '    allowed_origins: [https://b.example.com]',
        '    max_age: 7200',
        '  environments:',
        '    production:',
        '      allowed_methods: [GET]',
        '    staging:',
        '      allowed_headers: [Authorization]',
      ].join('\n'),
    );
    expect(loadSecurityConfig(path, { profile: 'production', env: {}, logger: quiet }).cors).toEqual({
      origins: ['https://a.example.com'],
      credentials: true,
      environments: {
        production: { origins: ['https://b.example.com'], maxAge: 7200, methods: ['GET'] },
        staging: { allowedHeaders: ['Authorization'] },
      },
    });
  });

  it('names a refused CORS value by its seed key', () => {
    const path = file(
      'cors-bad.yaml',
      'cors:\n  production:\n    allowed_origins: ["*"]\n    allow_credentials: true\n',
    );
    expect(() => loadSecurityConfig(path, { profile: 'production', env: {}, logger: quiet })).toThrow(
      /cors-bad\.yaml: cors\.production\.allowed_origins \(option cors\.environments\.production\.origins\) is "\*" while credentials is true/,
    );
  });

  it("warns only for a flat file: the sectioned layout is read with this library's meanings", () => {
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m) };
    loadSecurityConfig(file('sect.yaml', 'default:\n  graphql:\n    max_complexity: 10\ndevelopment: {}\n'), {
      profile: 'development',
      env: {},
      logger,
    });
    expect(warnings).toEqual([]);
    loadSecurityConfig(
      file('flat-warn.yaml', 'graphql:\n  max_complexity: 10\nvalidation:\n  max_payload_bytes: 1000\n'),
      {
        profile: 'development',
        env: {},
        logger,
      },
    );
    expect(warnings).toEqual([expect.stringMatching(/flat-warn\.yaml: graphql\.max_complexity is compared/)]);
  });
});
