import { SecurityConfigError } from '../core/errors/security-config.error';
import { resolveSigningOptions } from './signing.options';

const ctx = { profile: 'production' as const, isTrustedProxy: () => false };
const resolve = (value: unknown) => resolveSigningOptions(value, ctx);
const SECRET = 'a-signing-secret-of-at-least-32-chars';

describe('resolveSigningOptions', () => {
  it('has safe defaults', () => {
    const r = resolve(undefined);
    expect(r).toMatchObject({
      enabled: true,
      toleranceSeconds: 300,
      signedHeaders: ['content-type'],
      paths: [],
      nonceTtlMs: 600_000,
      webhooks: { toleranceSeconds: 300, replayTtlSeconds: 86_400 },
    });
    expect(r.keys.size).toBe(0);
  });

  it('imports several keys for rotation', () => {
    const r = resolve({
      keys: { k1: SECRET, k2: `${SECRET}-new` },
      paths: ['/internal/'],
      signedHeaders: ['Content-Type', 'X-Tenant'],
    });
    expect([...r.keys.keys()]).toEqual(['k1', 'k2']);
    expect(r.keys.get('k1')).toEqual(Buffer.from(SECRET));
    expect(r.signedHeaders).toEqual(['content-type', 'x-tenant']);
  });

  it.each([
    [{ keys: { k1: 'short' } }, /signing\.keys\.k1 is too short \(5 characters\)/],
    [{ keys: { k1: 42 } }, /signing\.keys\.k1 must be a string secret/],
    [{ keys: { 'bad id!': SECRET } }, /is not a valid key id/],
    [{ paths: ['/internal/'] }, /signing\.paths requires signatures but signing\.keys is empty/],
    [{ paths: ['internal'], keys: { k: SECRET } }, /must start with "\/"/],
    [{ toleranceSeconds: 0 }, /toleranceSeconds must be at least 1/],
    [{ toleranceSeconds: 86_400 }, /toleranceSeconds must be at most 3600/],
    [{ signedHeaders: ['X-Signature'] }, /cannot be a signed header/],
    [
      { webhooks: { replayTtl: 1 } },
      /webhooks\.replayTtl is not a known option\. Did you mean "signing\.webhooks\.replayTtlSeconds"/,
    ],
    [{ key: {} }, /signing\.key is not a known option\. Did you mean "signing\.keys"/],
  ])('refuses %p', (value, message) => {
    expect(() => resolve(value)).toThrow(SecurityConfigError);
    expect(() => resolve(value)).toThrow(message);
  });

  it('never prints a secret in its errors', () => {
    expect(() => resolve({ keys: { k1: 'hunter2-secret' } })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});
