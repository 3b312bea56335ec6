import { Reflector } from '@nestjs/core';
import { LOGIN_RATE_LIMIT_KEY, RATE_LIMIT_KEY, SKIP_RATE_LIMIT_KEY } from './rate-limit.constants';
import { LoginRateLimit, RateLimit, SkipRateLimit } from './rate-limit.decorator';
import { ipv6Prefix } from './rate-limit-base.guard';

class Target {
  @RateLimit({ default: { limit: 5, windowSeconds: 60 }, burst: { limit: 2, windowSeconds: 1, blockSeconds: 10 } })
  limited(): void {}

  @SkipRateLimit()
  skipped(): void {}

  @SkipRateLimit('short')
  skippedOne(): void {}

  @LoginRateLimit({ maxAttempts: 3, usernameField: 'email' })
  login(): void {}
}

describe('rate-limit decorators', () => {
  const reflector = new Reflector();

  it('@RateLimit stores compiled policies with their header items', () => {
    expect(reflector.get(RATE_LIMIT_KEY, Target.prototype.limited)).toEqual([
      {
        name: 'default',
        limit: 5,
        windowMs: 60_000,
        blockMs: 0,
        policyItem: '"default";q=5;w=60',
        itemName: '"default"',
      },
      { name: 'burst', limit: 2, windowMs: 1_000, blockMs: 10_000, policyItem: '"burst";q=2;w=1', itemName: '"burst"' },
    ]);
  });

  it('@SkipRateLimit stores true, or the policy names', () => {
    expect(reflector.get(SKIP_RATE_LIMIT_KEY, Target.prototype.skipped)).toBe(true);
    expect(reflector.get(SKIP_RATE_LIMIT_KEY, Target.prototype.skippedOne)).toEqual(['short']);
  });

  it('@LoginRateLimit stores its route settings', () => {
    expect(reflector.get(LOGIN_RATE_LIMIT_KEY, Target.prototype.login)).toEqual({
      maxAttempts: 3,
      usernameField: 'email',
    });
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'a policy without window',
      () => RateLimit({ x: { limit: 1 } as never }),
      /@RateLimit\(x\) needs both limit and windowSeconds/,
    ],
    ['a negative limit', () => RateLimit({ x: { limit: -1, windowSeconds: 1 } }), /must be at least 0/],
    [
      'zero login attempts',
      () => LoginRateLimit({ maxAttempts: 0 }),
      /@LoginRateLimit\(\)\.maxAttempts must be at least 1/,
    ],
    [
      'an unknown login option',
      () => LoginRateLimit({ max: 1 } as never),
      /@LoginRateLimit\(\)\.max is not a known option/,
    ],
  ])('refuses %s at boot', (_name, make, message) => {
    expect(make).toThrow(message);
  });
});

describe('ipv6Prefix', () => {
  it.each([
    ['2001:db8:1:2:aa:bb:cc:dd', 4, '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', 4, '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::', 4, '2001:db8:1:2::/64'],
    ['2001:db8::1', 4, '2001:db8:0:0::/64'],
    ['::1', 4, '0:0:0:0::/64'],
    ['2001:db8:1:2::1', 3, '2001:db8:1::/48'],
    ['2001:db8:1:2::1', 8, '2001:db8:1:2::1'],
  ])('%s with %i groups → %s', (ip, groups, expected) => {
    expect(ipv6Prefix(ip, groups)).toBe(expected);
  });
});
