import { SecurityConfigError } from '../core/errors/security-config.error';
import { resolveRateLimitOptions } from './rate-limit.options';
import type { ResolveContext } from '../core/options/core.options';

const ctx: ResolveContext = { profile: 'development', isTrustedProxy: () => false };
const resolve = (value: unknown) => resolveRateLimitOptions(value, ctx);

describe('resolveRateLimitOptions', () => {
  it('defaults to one "default" policy of 100 requests per 60 s, IETF headers, fail open, escalation on', () => {
    const options = resolve(undefined);
    expect(options.enabled).toBe(true);
    expect(options.policies).toEqual([
      {
        name: 'default',
        limit: 100,
        windowMs: 60_000,
        blockMs: 0,
        policyItem: '"default";q=100;w=60',
        itemName: '"default"',
      },
    ]);
    expect(options.headers).toEqual({ ietf: true, legacy: false });
    expect(options.failOpen).toBe(true);
    expect(options.escalation).toEqual({ multipliers: [1, 5, 30], decayMs: 900_000 });
    expect(options.login).toEqual({
      maxAttempts: 5,
      windowMs: 300_000,
      usernameField: 'username',
      // ASVS V2.2.1's ceiling per account; the IP budget is tracked apart (OWASP credential stuffing sheet).
      perUsername: { maxAttempts: 100, windowMs: 3_600_000 },
      perIp: { maxAttempts: 50, windowMs: 900_000 },
    });
    expect(options.isAllowlisted).toBeUndefined();
    expect(options.ipv6Groups).toBe(4);
  });

  it('puts an edge IP limit of ten times the default policy on by default', () => {
    expect(resolve(undefined).edge).toMatchObject({ name: 'edge', limit: 1_000, windowMs: 60_000 });
    expect(resolve({ maxRequests: 50, windowSeconds: 10 }).edge).toMatchObject({ limit: 500, windowMs: 10_000 });
    expect(resolve({ edge: { limit: 30, windowSeconds: 5 } }).edge).toMatchObject({
      limit: 30,
      windowMs: 5_000,
      policyItem: '"edge";q=30;w=5',
    });
    expect(resolve({ edge: false }).edge).toBeUndefined();
  });

  it.each<[unknown, RegExp]>([
    [{ edge: true }, /rateLimit\.edge/],
    [{ edge: { limit: -1, windowSeconds: 60 } }, /rateLimit\.edge\.limit must be at least 0/],
    [{ edge: { limit: 10, windowSeconds: 60, burst: 2 } }, /rateLimit\.edge\.burst is not a known option/],
  ])('refuses a bad edge limit %j', (value, message) => {
    expect(() => resolve(value)).toThrow(message);
  });

  it('maps the config keys maxRequests / windowSeconds / failOpen', () => {
    const options = resolve({ maxRequests: 10, windowSeconds: 1, failOpen: false, blockSeconds: 30 });
    expect(options.policies[0]).toMatchObject({
      limit: 10,
      windowMs: 1_000,
      blockMs: 30_000,
      policyItem: '"default";q=10;w=1',
    });
    expect(options.failOpen).toBe(false);
  });

  it('compiles named policies, tiers (announced as tier.policy) and the allowlist', () => {
    const options = resolve({
      policies: { short: { limit: 5, windowSeconds: 1 }, long: { limit: 100, windowSeconds: 3600, blockSeconds: 60 } },
      tiers: { paid: { minute: { limit: 300, windowSeconds: 60 } } },
      allowlist: ['10.0.0.0/8', 'loopback'],
      headers: 'both',
      escalation: { enabled: false },
    });
    expect(options.policies.map((p) => p.policyItem)).toEqual(['"short";q=5;w=1', '"long";q=100;w=3600']);
    expect(options.policies[1].blockMs).toBe(60_000);
    expect(options.tiers.paid[0]).toMatchObject({ name: 'paid.minute', policyItem: '"paid.minute";q=300;w=60' });
    expect(options.isAllowlisted?.('10.1.2.3')).toBe(true);
    expect(options.isAllowlisted?.('::1')).toBe(true);
    expect(options.isAllowlisted?.('8.8.8.8')).toBe(false);
    expect(options.headers).toEqual({ ietf: true, legacy: true });
    expect(options.escalation.multipliers).toEqual([]);
  });

  it.each<[string, unknown, RegExp]>([
    ['a typo', { maxRequest: 5 }, /rateLimit\.maxRequest is not a known option.*Did you mean "rateLimit\.maxRequests"/],
    ['a non-object', 'fast', /rateLimit must be an object, got a string/],
    ['an array', [], /rateLimit must be an object, got an array/],
    ['a negative limit', { maxRequests: -1 }, /rateLimit\.maxRequests must be at least 0/],
    ['a fractional limit', { maxRequests: 1.5 }, /rateLimit\.maxRequests must be a whole number/],
    ['a zero window', { windowSeconds: 0 }, /rateLimit\.windowSeconds must be at least 1 seconds/],
    ['a string window', { windowSeconds: '60' }, /rateLimit\.windowSeconds must be a finite number, got a string/],
    ['an empty policy map', { policies: {} }, /rateLimit\.policies is empty/],
    [
      'a policy without window',
      { policies: { a: { limit: 1 } } },
      /rateLimit\.policies\.a needs both limit and windowSeconds/,
    ],
    [
      'a policy typo',
      { policies: { a: { limit: 1, window: 5 } } },
      /rateLimit\.policies\.a\.window is not a known option/,
    ],
    ['a bad policy name', { policies: { 'a b"': { limit: 1, windowSeconds: 1 } } }, /has an invalid name/],
    ['a bad tier name', { tiers: { 'x y': { m: { limit: 1, windowSeconds: 1 } } } }, /has an invalid tier name/],
    [
      'a dotted tier name',
      { tiers: { 'paid.eu': { m: { limit: 1, windowSeconds: 1 } } } },
      /rateLimit\.tiers\.paid\.eu has an invalid tier name "paid\.eu".*no dot/,
    ],
    [
      'a bad allowlist entry',
      { allowlist: ['not-an-ip'] },
      /rateLimit\.allowlist\[0\] "not-an-ip" is not an IP address/,
    ],
    ['an unknown header mode', { headers: 'ietff' }, /rateLimit\.headers must be one of.*Did you mean "ietf"/],
    [
      'a multiplier below 1',
      { escalation: { multipliers: [0.5] } },
      /rateLimit\.escalation\.multipliers\[0\] must be a number from 1/,
    ],
    ['empty multipliers', { escalation: { multipliers: [] } }, /multipliers must be a non-empty array/],
    ['a login typo', { login: { maxAttempt: 3 } }, /rateLimit\.login\.maxAttempt is not a known option/],
    ['zero login attempts', { login: { maxAttempts: 0 } }, /rateLimit\.login\.maxAttempts must be at least 1/],
    [
      'a per-username typo',
      { login: { perUsername: { maxAttempt: 3 } } },
      /rateLimit\.login\.perUsername\.maxAttempt is not a known option\. Did you mean "rateLimit\.login\.perUsername\.maxAttempts"/,
    ],
    [
      'a per-IP section that is true',
      { login: { perIp: true } },
      /rateLimit\.login\.perIp must be an object, got a boolean/,
    ],
    ['a per-IP section that is an array', { login: { perIp: [] } }, /rateLimit\.login\.perIp must be an object/],
    [
      'a fractional per-IP window',
      { login: { perIp: { windowSeconds: 1.5 } } },
      /rateLimit\.login\.perIp\.windowSeconds must be a whole number/,
    ],
    [
      'zero per-username attempts',
      { login: { perUsername: { maxAttempts: 0 } } },
      /rateLimit\.login\.perUsername\.maxAttempts must be at least 1/,
    ],
    [
      'a per-username limit as a string',
      { login: { perUsername: { maxAttempts: '5' } } },
      /perUsername\.maxAttempts must be/,
    ],
    [
      'an IPv6 prefix that is not a multiple of 16',
      { ipv6PrefixLength: 60 },
      /ipv6PrefixLength must be a multiple of 16/,
    ],
    ['a burst factor below 1', { burstFactor: 0.5 }, /rateLimit\.burstFactor must be 0 \(off\) or at least 1/],
  ])('refuses %s', (_name, value, message) => {
    expect(() => resolve(value)).toThrow(SecurityConfigError);
    expect(() => resolve(value)).toThrow(message);
  });

  it('reads the per-username and per-IP login limits, each defaulting field by field, or off with false', () => {
    const login = resolve({ login: { perUsername: { maxAttempts: 20 }, perIp: { windowSeconds: 60 } } }).login;
    expect(login.perUsername).toEqual({ maxAttempts: 20, windowMs: 3_600_000 });
    expect(login.perIp).toEqual({ maxAttempts: 50, windowMs: 60_000 });
    const off = resolve({ login: { perUsername: false, perIp: false } }).login;
    expect(off.perUsername).toBeUndefined();
    expect(off.perIp).toBeUndefined();
    const raw = Object.create(null) as Record<string, unknown>;
    raw.maxAttempts = 9;
    expect(resolve({ login: { perIp: raw } }).login.perIp).toEqual({ maxAttempts: 9, windowMs: 900_000 });
  });

  it('accepts a null-prototype object', () => {
    const raw = Object.create(null) as Record<string, unknown>;
    raw.maxRequests = 7;
    expect(resolve(raw).policies[0].limit).toBe(7);
  });
});
