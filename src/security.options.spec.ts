import { MemorySecurityStorage } from './storage/memory/memory.storage';
import { SecurityConfigError } from './core/errors/security-config.error';
import { closest } from './core/options/validate.util';
import { resolveSecurityOptions, TOP_LEVEL_KEYS } from './security.options';

describe('resolveSecurityOptions', () => {
  it('gives safe defaults for no options at all', () => {
    const resolved = resolveSecurityOptions(undefined);
    expect(resolved.storage).toEqual({ type: 'memory', maxEntries: 100_000 });
    expect(resolved.trustProxy).toEqual([]);
    expect(resolved.requestId).toEqual({ header: 'x-request-id', trustIncoming: true });
    expect(resolved.errors.format).toBe('nest');
    expect(resolved.events.enabled).toBe(true);
  });

  it('exposes the legacy rate-limit headers through CORS when they are sent, unless exposedHeaders is given', () => {
    const legacy = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
    expect(resolveSecurityOptions({}).cors.exposedHeaders).not.toContain('X-RateLimit-Limit');
    expect(resolveSecurityOptions({ rateLimit: { headers: 'both' } }).cors.exposedHeaders).toEqual(
      expect.arrayContaining(['RateLimit', 'RateLimit-Policy', 'Retry-After', ...legacy]),
    );
    expect(
      resolveSecurityOptions({ rateLimit: { headers: 'legacy' }, cors: { exposedHeaders: ['X-Request-ID'] } }).cors
        .exposedHeaders,
    ).toEqual(['X-Request-ID']);
  });

  it('freezes the result deeply', () => {
    const resolved = resolveSecurityOptions({ trustProxy: ['loopback'] });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.trustProxy)).toBe(true);
    expect(() => (resolved.trustProxy as string[]).push('0.0.0.0/0')).toThrow(TypeError);
  });

  it('keeps a storage instance as given (not frozen, not copied)', () => {
    const storage = new MemorySecurityStorage();
    expect(resolveSecurityOptions({ storage }).storage).toBe(storage);
    expect(Object.isFrozen(storage)).toBe(false);
  });

  it.each([
    [{ ratelimit: {} }, /ratelimit is not a known option\. Did you mean "rateLimit"\?/],
    [{ storag: { type: 'memory' } }, /storag is not a known option\. Did you mean "storage"\?/],
    [{ errors: { fromat: 'nest' } }, /errors\.fromat is not a known option\. Did you mean "errors\.format"\?/],
    [{ zzzzzzzz: 1 }, /zzzzzzzz is not a known option\. Known options here: profile, storage/],
  ])('refuses unknown keys with a hint: %j', (options, message) => {
    expect(() => resolveSecurityOptions(options as never)).toThrow(SecurityConfigError);
    expect(() => resolveSecurityOptions(options as never)).toThrow(message);
  });

  it.each([
    ['a string', 'hello', /options must be an object, got a string/],
    ['an array', [], /options must be an object, got an array/],
    ['null', null, /options must be an object, got null/],
  ])('refuses %s as the options object', (_label, value, message) => {
    expect(() => resolveSecurityOptions(value as never)).toThrow(message);
  });

  it('accepts a prototype-less object', () => {
    const options = Object.create(null) as Record<string, unknown>;
    options.profile = 'staging';
    expect(resolveSecurityOptions(options).profile).toBe('staging');
  });

  it.each([
    [
      { profile: 'prod' },
      /profile must be one of "development", "staging", "production", got "prod"\. Did you mean "production"\?/,
    ],
    [{ storage: { type: 'redis' } }, /storage is "redis" but has neither url, cluster nor client\. Set storage\.url/],
    [{ storage: { type: 'redis', url: 'http://x' } }, /storage\.url must start with redis:\/\//],
    [{ storage: { type: 'mongo' } }, /storage\.type must be one of "memory", "redis"/],
    [{ storage: { type: 'memory', maxEntries: 5 } }, /storage\.maxEntries must be at least 100/],
    [
      { storage: { type: 'memory', maxEntries: 1_000, partitions: { nonces: 600, revocations: 500 } } },
      /storage\.partitions add up to 1100, more than storage\.maxEntries \(1000\)/,
    ],
    [
      { storage: { type: 'memory', partitions: { nonce: 10 } } },
      /storage\.partitions\.nonce is not a known option\. Did you mean "storage\.partitions\.nonces"/,
    ],
    [{ storage: { type: 'memory', partitions: { apiKeys: 0 } } }, /storage\.partitions\.apiKeys must be at least 1/],
    [
      { storage: { type: 'redis', url: 'redis://x', commandTimeoutMs: -1 } },
      /storage\.commandTimeoutMs must be at least 1 ms/,
    ],
    [{ trustProxy: 'loopback' }, /trustProxy must be an array of strings, got a string/],
    [{ trustProxy: ['10.0.0.0/33'] }, /trustProxy\[0\] "10\.0\.0\.0\/33" is not an IP address, a CIDR range/],
    [{ trustProxy: ['example.com'] }, /trustProxy\[0\] "example\.com" is not an IP address/],
    [{ events: { sinks: ['console'] } }, /events\.sinks must be an array of functions/],
    [{ events: { enabled: 'yes' } }, /events\.enabled must be true or false, got a string/],
    [{ requestId: { header: '' } }, /requestId\.header must be a non-empty string/],
  ])('refuses bad values with the option path and a fix: %j', (options, message) => {
    expect(() => resolveSecurityOptions(options as never)).toThrow(message);
  });

  it.each([
    [{ requestId: { header: 'X Request ID' } }, /requestId\.header "X Request ID" is not a valid HTTP header name/],
    [{ requestId: { header: 'X-Request-ID:' } }, /requestId\.header "X-Request-ID:" is not a valid HTTP header name/],
    [{ requestId: { header: 'Ünïcode' } }, /requestId\.header .* is not a valid HTTP header name/],
    [
      { storage: { type: 'redis', client: {} } },
      /storage\.client does not look like an ioredis client \(no evalsha, eval, get, on\)/,
    ],
    [
      { storage: { type: 'redis', client: { get: () => null, eval: () => null } } },
      /storage\.client does not look like an ioredis client \(no evalsha, on\)/,
    ],
    [{ storage: { type: 'redis', client: 'redis://x' } }, /storage\.client does not look like an ioredis client/],
    [
      { storage: { type: 'redis', url: 'redis://x', keyPrefix: 'app:{x}:' } },
      /storage\.keyPrefix must not contain "\{" or "\}"/,
    ],
    [{ storage: { type: 'redis', url: 'redis://x', keyPrefix: '{app}' } }, /Redis Cluster hashes the first \{…\}/],
  ])('refuses a malformed request id header, storage client or key prefix: %j', (options, message) => {
    expect(() => resolveSecurityOptions(options as never)).toThrow(SecurityConfigError);
    expect(() => resolveSecurityOptions(options as never)).toThrow(message);
  });

  it('accepts an ioredis-shaped client without freezing it, and a valid custom header', () => {
    // The shape of an ioredis Redis/Cluster instance (a class instance: deepFreeze leaves it alone).
    class ClientLike {
      get = () => null;
      eval = () => null;
      evalsha = () => null;
      on = () => this;
    }
    const client = new ClientLike();
    const resolved = resolveSecurityOptions({
      storage: { type: 'redis', client, keyPrefix: 'app:' },
      requestId: { header: 'X-Correlation-ID' },
    });
    expect(resolved.requestId.header).toBe('x-correlation-id');
    expect(resolved.storage).toMatchObject({ type: 'redis', client, keyPrefix: 'app:' });
    expect(Object.isFrozen(client)).toBe(false);
  });

  it('formats every message as "SecurityModule: <path> <problem>. <fix>."', () => {
    try {
      resolveSecurityOptions({ storage: { type: 'memory', maxEntries: 1.5 } });
      throw new Error('did not throw');
    } catch (error) {
      expect(error).toBeInstanceOf(SecurityConfigError);
      expect((error as Error).name).toBe('SecurityConfigError');
      expect((error as Error).message).toMatch(
        /^SecurityModule: storage\.maxEntries must be a whole number, got 1\.5\. Round it\.$/,
      );
    }
  });
});

describe('did-you-mean hints among the top-level options', () => {
  it.each([
    ['rate', 'rateLimit'],
    ['rateLimits', 'rateLimit'],
    ['authorizations', 'authorization'],
    ['responseFilter', 'responseFiltering'],
    ['storag', 'storage'],
    ['idem', 'idempotency'],
  ])('suggests %s → %s among the top-level options', (typo, expected) => {
    expect(closest(typo, TOP_LEVEL_KEYS)).toBe(expected);
  });
});
