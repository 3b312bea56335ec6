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
    [{ leaseMs: 50 }, /leaseMs must be a whole number from 100 to 600000/],
    [{ leaseMs: 1.5 }, /leaseMs must be a whole number/],
    [{ leaseMs: '30000' }, /leaseMs must be a whole number/],
    [{ ttlSeconds: 0 }, /ttlSeconds must be a whole number from 1/],
    [
      { ttlSeconds: 1, leaseMs: 5_000 },
      /ttlSeconds \(1 s\) is shorter than the in-flight lease \(5000 ms\)\. Raise ttlSeconds or lower leaseMs/,
    ],
    [{ required: 'yes' }, /required must be a boolean/],
    [{ leaseMS: 30_000 }, /unknown option "leaseMS"\. Use required, ttlSeconds or leaseMs/],
  ])('refuses %j when the class is defined', (options, message) => {
    expect(() => Idempotent(options as never)).toThrow(SecurityConfigError);
    expect(() => Idempotent(options as never)).toThrow(message);
  });
});
