import { Reflector } from '@nestjs/core';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { IDEMPOTENT_KEY } from './idempotency.constants';
import { Idempotent } from './idempotent.decorator';

describe('@Idempotent()', () => {
  it('stores its route options as metadata', () => {
    class Payments {
      @Idempotent({ required: false, ttlSeconds: 3_600, leaseMs: 30_000 })
      charge() {}
    }
    const meta = new Reflector().get(
      IDEMPOTENT_KEY,
      Object.getOwnPropertyDescriptor(Payments.prototype, 'charge')!.value,
    );
    expect(meta).toEqual({ required: false, ttlSeconds: 3_600, leaseMs: 30_000 });
  });

  it.each([
    [{ leaseMs: 50 }, /@Idempotent\(\)\.leaseMs must be at least 100 ms, got 50/],
    [{ leaseMs: 1.5 }, /@Idempotent\(\)\.leaseMs must be a whole number, got 1\.5/],
    [{ leaseMs: '30000' }, /@Idempotent\(\)\.leaseMs must be a finite number, got a string/],
    [{ ttlSeconds: 0 }, /@Idempotent\(\)\.ttlSeconds must be at least 1 s, got 0/],
    [
      { ttlSeconds: 1, leaseMs: 5_000 },
      /ttlSeconds \(1 s\) is shorter than the in-flight lease \(5000 ms\)\. Raise ttlSeconds or lower leaseMs/,
    ],
    [{ required: 'yes' }, /@Idempotent\(\)\.required must be true or false, got a string/],
    [{ leaseMS: 30_000 }, /@Idempotent\(\)\.leaseMS is not a known option\. Did you mean "@Idempotent\(\)\.leaseMs"/],
  ])('refuses %j when the class is defined', (options, message) => {
    expect(() => Idempotent(options as never)).toThrow(SecurityConfigError);
    expect(() => Idempotent(options as never)).toThrow(message);
  });
});
