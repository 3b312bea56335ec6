import { SecurityConfigError } from '../../core/errors/security-config.error';
import { resolveMfaOptions } from './mfa.options';

describe('resolveMfaOptions', () => {
  it('has safe defaults', () => {
    expect(resolveMfaOptions(undefined, 'auth.mfa')).toEqual({
      maxAgeSec: 900,
      totp: {
        issuer: undefined,
        algorithm: 'SHA1',
        digits: 6,
        periodSec: 30,
        window: 1,
        maxAttempts: 5,
        attemptWindowSec: 900,
        secretBytes: 20,
      },
    });
  });

  it('sizes secrets to the algorithm', () => {
    expect(resolveMfaOptions({ totp: { algorithm: 'SHA512' } }, 'auth.mfa').totp.secretBytes).toBe(64);
  });

  it.each([
    [[], /auth\.mfa/],
    [{ maxAge: 60 }, /auth\.mfa\.maxAge is not a known option\. Did you mean "auth\.mfa\.maxAgeSec"/],
    [{ maxAgeSec: 0 }, /auth\.mfa\.maxAgeSec must be at least 1/],
    [{ maxAgeSec: '60' }, /auth\.mfa\.maxAgeSec must be a finite number/],
    [{ totp: { digits: 4 } }, /auth\.mfa\.totp\.digits must be at least 6/],
    [{ totp: { digits: 6.5 } }, /auth\.mfa\.totp\.digits must be a whole number/],
    [{ totp: { window: 10 } }, /auth\.mfa\.totp\.window must be at most 3/],
    [{ totp: { maxAttempts: 0 } }, /auth\.mfa\.totp\.maxAttempts must be at least 1/],
    [{ totp: { maxAttempts: 1000 } }, /auth\.mfa\.totp\.maxAttempts must be at most 20/],
    [{ totp: { algorithm: 'MD5' } }, /auth\.mfa\.totp\.algorithm/],
    [{ totp: { issuer: 'A:B' } }, /auth\.mfa\.totp\.issuer must be a non-empty name without ":"/],
    [{ totp: { issuer: '' } }, /auth\.mfa\.totp\.issuer/],
    [{ totp: { periodSec: 5 } }, /auth\.mfa\.totp\.periodSec must be at least 15/],
    [{ totp: { windw: 1 } }, /auth\.mfa\.totp.*windw/],
  ])('refuses %j', (value, message) => {
    expect(() => resolveMfaOptions(value, 'auth.mfa')).toThrow(SecurityConfigError);
    expect(() => resolveMfaOptions(value, 'auth.mfa')).toThrow(message);
  });

  it('accepts a section without a prototype', () => {
    const raw = Object.create(null) as Record<string, unknown>;
    raw.maxAgeSec = 60;
    expect(resolveMfaOptions(raw, 'auth.mfa').maxAgeSec).toBe(60);
  });
});
