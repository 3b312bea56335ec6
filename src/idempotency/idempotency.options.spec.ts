import type { ResolveContext } from '../core/options/core.options';
import { resolveIdempotencyOptions } from './idempotency.options';

const ctx: ResolveContext = { profile: 'production', isTrustedProxy: () => false };

describe('resolveIdempotencyOptions', () => {
  it('defaults to the draft/Stripe behaviour', () => {
    expect(resolveIdempotencyOptions(undefined, ctx)).toEqual({
      enabled: true,
      applyTo: 'decorated',
      header: 'idempotency-key',
      required: true,
      ttlMs: 86_400_000,
      leaseMs: 10_000,
      retryAfterSeconds: 1,
      anonymous: 'ip',
      storeServerErrors: false,
      replayHeaders: ['content-type', 'location', 'etag', 'last-modified', 'content-language', 'content-location'],
      maxStoredBytes: 1_048_576,
    });
  });

  it('lower-cases header names', () => {
    const o = resolveIdempotencyOptions({ header: 'X-Idempotency-Key', replayHeaders: ['X-Order-Id'] }, ctx);
    expect(o.header).toBe('x-idempotency-key');
    expect(o.replayHeaders).toEqual(['x-order-id']);
  });

  it.each([
    [{ ttlSeconds: 0 }, /idempotency\.ttlSeconds must be at least 1/],
    [{ leaseMs: 10 }, /idempotency\.leaseMs must be at least 100/],
    [{ ttlSeconds: 1, leaseMs: 5_000 }, /ttlSeconds \(1 s\) is shorter than the in-flight lease/],
    [{ applyTo: 'all' }, /idempotency\.applyTo must be one of "decorated", "mutations"/],
    [{ anonymous: 'allow' }, /idempotency\.anonymous must be one of "ip", "refuse"/],
    [{ header: 'Idempotency Key' }, /is not a valid header name/],
    [{ replayHeaders: ['Set-Cookie'] }, /"Set-Cookie" must never be replayed/],
    [{ requierd: true }, /idempotency\.requierd is not a known option\. Did you mean "idempotency\.required"/],
    [{ storeServerErrors: 'no' }, /storeServerErrors must be true or false/],
    ['on', /idempotency must be an object/],
  ])('refuses %p', (input, error) => {
    expect(() => resolveIdempotencyOptions(input, ctx)).toThrow(error);
  });
});
