import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MemorySecurityStorage } from './storage/memory/memory.storage';
import { SecurityModule } from './security.module';
import { resolveSecurityOptions, type SecurityModuleOptions } from './security.options';
import { describeSecurity, SecuritySettings } from './security.settings';

const SECRET = 'a-jwt-secret-of-at-least-32-bytes!!';
const PASSWORD = 'pw-9f3e1c-never-printed';

const summaryOf = (options: SecurityModuleOptions) => describeSecurity(resolveSecurityOptions(options));

describe('boot summary', () => {
  it('says what is on: profile, storage, authentication, rate limits, idempotency, validation', () => {
    const line = summaryOf({
      profile: 'staging',
      auth: { jwt: { secret: SECRET }, apiKeys: { pepper: SECRET } },
      rateLimit: {
        policies: { minute: { limit: 100, windowSeconds: 60 } },
        tiers: {
          free: { minute: { limit: 10, windowSeconds: 60 } },
          paid: { minute: { limit: 1000, windowSeconds: 60 } },
        },
      },
      idempotency: { applyTo: 'mutations' },
    });
    expect(line).toBe(
      'profile staging; storage memory (max 100000 entries); authentication jwt (1 key), api-key; ' +
        'authorization on (3 roles); response filtering on; rate limit minute 100/60s, edge 1000/60s (tiers free, paid); ' +
        'idempotency on (mutations); validation on (max payload 1048576 bytes); headers on; ' +
        'cors on (no cross-origin access); signing on (no keys)',
    );
  });

  it('names what is off', () => {
    const line = summaryOf({
      auth: { enabled: false },
      rateLimit: { enabled: false },
      idempotency: { enabled: false },
      validation: { enabled: false },
    });
    expect(line).toContain('authentication off');
    expect(line).toContain('rate limit off');
    expect(line).toContain('idempotency off');
    expect(line).toContain('validation off');
  });

  it.each([
    [`redis://rampart-user:${PASSWORD}@cache.internal:6380/2`, 'storage redis cache.internal:6380'],
    [`rediss://:${PASSWORD}@cache.internal`, 'storage redis rediss://cache.internal:6379'],
    [`redis://default:${PASSWORD}@10.0.0.7:6379?family=6`, 'storage redis 10.0.0.7:6379'],
  ])('shows a Redis URL as host and port only (%s)', (url, expected) => {
    const line = summaryOf({ storage: { type: 'redis', url } });
    expect(line).toContain(expected);
    expect(line).not.toContain(PASSWORD);
    expect(line).not.toContain('rampart-user');
    expect(line).not.toContain('default:');
  });

  it('names a custom store by its class', () => {
    expect(summaryOf({ storage: new MemorySecurityStorage() })).toContain('storage custom (MemorySecurityStorage)');
  });
});

describe('SecuritySettings', () => {
  it('gives the profile, the storage kind, which features are on and the GraphQL limits', () => {
    const settings = new SecuritySettings(
      resolveSecurityOptions({
        profile: 'production',
        storage: { type: 'redis', url: 'redis://127.0.0.1:6379' },
        idempotency: { enabled: false },
        cors: { enabled: false },
        signing: { enabled: false },
        graphql: { maxDepth: 7 },
      }),
    );
    expect(settings.profile).toBe('production');
    expect(settings.storage).toBe('redis');
    expect(settings.features).toEqual({
      auth: true,
      authorization: true,
      responseFiltering: true,
      rateLimit: true,
      idempotency: false,
      validation: true,
      headers: true,
      cors: false,
      signing: false,
      graphql: true,
      inventory: true,
    });
    expect(settings.graphql).toMatchObject({ maxDepth: 7, introspection: false });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.features)).toBe(true);
  });
});

describe('SecurityModule boot log', () => {
  let lines: Array<[string | undefined, unknown]>;
  beforeEach(() => {
    lines = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation(function (this: Logger, message: unknown) {
      lines.push([(this as unknown as { context?: string }).context, message]);
    });
  });
  afterEach(() => jest.restoreAllMocks());

  async function boot(options: SecurityModuleOptions): Promise<void> {
    // The inventory's route table is its own log line (and its own option); these tests are about the summary.
    const moduleRef = await Test.createTestingModule({
      imports: [SecurityModule.forRoot({ ...options, inventory: { printTable: false } })],
    }).compile();
    await moduleRef.init();
    await moduleRef.close();
  }

  it('logs one line, context SecurityModule, with what is on', async () => {
    await boot({ profile: 'development', events: { logger: false }, auth: { jwt: { secret: SECRET } } });
    const summary = lines.filter(([context]) => context === 'SecurityModule');
    expect(summary).toHaveLength(1);
    expect(summary[0][1]).toMatch(/^profile development; storage memory .*; authentication jwt \(1 key\);/);
  });

  it('logs nothing with logSummary: false', async () => {
    await boot({ logSummary: false, events: { logger: false } });
    expect(lines.filter(([context]) => context === 'SecurityModule')).toEqual([]);
  });

  it('refuses a non-boolean logSummary', () => {
    expect(() => resolveSecurityOptions({ logSummary: 'yes' as unknown as boolean })).toThrow(
      /logSummary must be true or false/,
    );
  });
});
