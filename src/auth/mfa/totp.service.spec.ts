import { HttpException } from '@nestjs/common';
import { createTestRedisStorage } from '../../../test/utils/redis';
import { SecurityEvents } from '../../core/events/security-events.service';
import type { SecurityEvent } from '../../core/events/security-event.interface';
import { MemorySecurityStorage } from '../../storage/memory/memory.storage';
import type { SecurityStorage } from '../../storage/security-storage.interface';
import { resolveSecurityOptions } from '../../security.options';
import type { MfaOptions } from './mfa.options';
import { TotpService } from './totp.service';
import { totpCode } from './totp.util';

const PARAMS = { algorithm: 'SHA1', digits: 6, periodSec: 30 } as const;
const T0 = 1_700_000_015_000; // the middle of a step

/** A TotpService on a clock the test moves. */
class ClockedTotpService extends TotpService {
  clock = T0;
  protected override nowMs(): number {
    return this.clock;
  }
}

function service(storage: SecurityStorage, mfa: MfaOptions = {}) {
  const events: SecurityEvent[] = [];
  const options = resolveSecurityOptions({
    events: { logger: false, sinks: [(e) => events.push(e)] },
    auth: { jwt: { secret: 'x'.repeat(32) }, mfa },
  });
  return { totp: new ClockedTotpService(options, storage, new SecurityEvents(options)), events };
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpException);
  const http = error as HttpException;
  return { status: http.getStatus(), code: (http.getResponse() as { code: string }).code };
}

const backends: Array<[string, () => Promise<SecurityStorage>]> = [
  ['memory', async () => new MemorySecurityStorage()],
  ['redis', () => createTestRedisStorage('totp')],
];

describe.each(backends)('TotpService (%s storage)', (_name, create) => {
  let storage: SecurityStorage;
  beforeEach(async () => {
    storage = await create();
  });
  afterEach(() => storage.close());

  it('enrols with a fresh secret and a URI naming the issuer', () => {
    const { totp } = service(storage, { totp: { issuer: 'Acme' } });
    const a = totp.enroll('alice@example.com');
    expect(a.uri).toMatch(/^otpauth:\/\/totp\/Acme:alice%40example\.com\?/);
    expect(a.uri).toContain(`secret=${a.secret}`);
    expect(totp.enroll('alice@example.com').secret).not.toBe(a.secret);
    expect(totp.enroll('bob', 'Other').uri).toMatch(/^otpauth:\/\/totp\/Other:bob\?/);
  });

  it('accepts the current code once, and refuses it (and older ones) afterwards: replay', async () => {
    const { totp, events } = service(storage);
    const { secret } = totp.enroll('alice');
    const now = totpCode(secret, PARAMS, T0);
    await expect(totp.verify('u-alice', secret, now)).resolves.toEqual({ timeStep: Math.floor(T0 / 30_000) });
    expect(await refusal(totp.verify('u-alice', secret, now))).toEqual({ status: 401, code: 'MFA_CODE_REPLAYED' });
    const previous = totpCode(secret, PARAMS, T0 - 30_000);
    expect(await refusal(totp.verify('u-alice', secret, previous))).toEqual({ status: 401, code: 'MFA_CODE_REPLAYED' });
    // The next step's code is new: accepted (and the user's replay record moves on).
    totp.clock = T0 + 30_000;
    await expect(totp.verify('u-alice', secret, totpCode(secret, PARAMS, totp.clock))).resolves.toBeDefined();
    // Another user's record is their own.
    await expect(totp.verify('u-bob', secret, now)).resolves.toBeDefined();
    expect(events.map((e) => `${e.type}:${e.reason ?? ''}`)).toEqual([
      'MFA_VERIFIED:',
      'MFA_FAILED:replayed',
      'MFA_FAILED:replayed',
      'MFA_VERIFIED:',
      'MFA_VERIFIED:',
    ]);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(now);
  });

  it('accepts one step of drift each way by default, not two', async () => {
    const { totp } = service(storage);
    const { secret } = totp.enroll('alice');
    expect(await refusal(totp.verify('u-1', secret, totpCode(secret, PARAMS, T0 - 60_000)))).toMatchObject({
      code: 'MFA_INVALID_CODE',
    });
    expect(await refusal(totp.verify('u-2', secret, totpCode(secret, PARAMS, T0 + 60_000)))).toMatchObject({
      code: 'MFA_INVALID_CODE',
    });
    await expect(totp.verify('u-3', secret, totpCode(secret, PARAMS, T0 - 30_000))).resolves.toBeDefined();
    await expect(totp.verify('u-4', secret, totpCode(secret, PARAMS, T0 + 30_000))).resolves.toBeDefined();
  });

  it('with window 0 accepts only the current step', async () => {
    const { totp } = service(storage, { totp: { window: 0 } });
    const { secret } = totp.enroll('alice');
    expect(await refusal(totp.verify('u-1', secret, totpCode(secret, PARAMS, T0 - 30_000)))).toMatchObject({
      status: 401,
      code: 'MFA_INVALID_CODE',
    });
    await expect(totp.verify('u-1', secret, totpCode(secret, PARAMS, T0))).resolves.toBeDefined();
  });

  it.each([['12345'], ['1234567'], ['12345a'], [' 123456'], ['１２３４５６'], [123456], [null], [undefined]])(
    'refuses the malformed code %p with 400 before any attempt is counted',
    async (code) => {
      const { totp, events } = service(storage);
      const { secret } = totp.enroll('alice');
      expect(await refusal(totp.verify('u-alice', secret, code))).toEqual({ status: 400, code: 'MFA_MALFORMED_CODE' });
      expect(events[0]).toMatchObject({ type: 'MFA_FAILED', reason: 'malformed', principalId: 'u-alice' });
    },
  );

  it('counts attempts per user, parallel ones too, and answers 429 past maxAttempts until the window ends', async () => {
    const { totp, events } = service(storage, { totp: { maxAttempts: 3 } });
    const { secret } = totp.enroll('alice');
    const wrong = totpCode(secret, PARAMS, T0 + 10 * 30_000);
    const results = await Promise.all(Array.from({ length: 6 }, () => refusal(totp.verify('u-alice', secret, wrong))));
    expect(results.filter((r) => r.code === 'MFA_INVALID_CODE')).toHaveLength(3);
    expect(results.filter((r) => r.status === 429 && r.code === 'MFA_TOO_MANY_ATTEMPTS')).toHaveLength(3);
    // Even the right code is not checked now.
    expect(await refusal(totp.verify('u-alice', secret, totpCode(secret, PARAMS, T0)))).toMatchObject({ status: 429 });
    await expect(totp.verify('u-bob', secret, totpCode(secret, PARAMS, T0))).resolves.toBeDefined();
    expect(events.filter((e) => e.reason === 'too_many_attempts')).toHaveLength(4);
  });

  it('resets the attempt count after a success', async () => {
    const { totp } = service(storage, { totp: { maxAttempts: 2 } });
    const { secret } = totp.enroll('alice');
    const wrong = totpCode(secret, PARAMS, T0 + 10 * 30_000);
    await refusal(totp.verify('u-alice', secret, wrong));
    await expect(totp.verify('u-alice', secret, totpCode(secret, PARAMS, T0))).resolves.toBeDefined();
    expect(await refusal(totp.verify('u-alice', secret, wrong))).toMatchObject({ code: 'MFA_INVALID_CODE' });
    expect(await refusal(totp.verify('u-alice', secret, wrong))).toMatchObject({ code: 'MFA_INVALID_CODE' });
    expect(await refusal(totp.verify('u-alice', secret, wrong))).toMatchObject({ status: 429 });
  });

  it('accepts one of two concurrent uses of a code (one instance or two sharing the store)', async () => {
    const a = service(storage).totp;
    const b = service(storage).totp;
    const { secret } = a.enroll('alice');
    const code = totpCode(secret, PARAMS, T0);
    const outcomes = await Promise.allSettled([a.verify('u-alice', secret, code), b.verify('u-alice', secret, code)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses a secret that is not base32 as a programming error', async () => {
    const { totp } = service(storage);
    await expect(totp.verify('u-alice', 'not base32!', '123456')).rejects.toThrow(TypeError);
  });
});
