import { Inject, Injectable } from '@nestjs/common';
import { SecurityErrorCode } from '../../core/errors/error-codes';
import { Messages } from '../../core/errors/messages.constant';
import { securityException } from '../../core/errors/security-exception';
import { SecurityEventType } from '../../core/events/security-event.interface';
import { SecurityEvents } from '../../core/events/security-events.service';
import { SECURITY_OPTIONS } from '../../core/security.constants';
import { SecurityStorage, storageKey } from '../../storage/security-storage.interface';
import { StorageUnavailableError } from '../../storage/storage-unavailable.error';
import type { AuthFeatureOptions } from '../auth.options';
import type { ResolvedTotpOptions, TotpAlgorithm } from './mfa.options';
import { ACCEPT_TOTP_STEP } from './totp-step.script';
import { isTotpSecret, matchTotp, newTotpSecret, totpUri } from './totp.util';

/** A new TOTP enrolment: show `uri` as a QR code, keep `secret` (encrypted) with the user. @publicApi */
export interface TotpEnrollment {
  /** The shared secret, base32. Store it server side, encrypted; never log it. */
  secret: string;
  /** `otpauth://totp/…` for authenticator apps (render it as a QR code). */
  uri: string;
  algorithm: TotpAlgorithm;
  digits: number;
  periodSec: number;
}

/** A code that was accepted. @publicApi */
export interface TotpVerification {
  /** The time step of the accepted code (`floor(unix seconds / periodSec)`). */
  timeStep: number;
}

/** Where a call came from, to attach request id / ip to security events. @publicApi */
export interface TotpCallContext {
  request?: unknown;
}

/**
 * TOTP (RFC 6238) enrolment and verification, for step-up with `TokenService.stepUp()`.
 *
 * `verify()` accepts a code within `auth.mfa.totp.window` steps of now, compared in constant time,
 * and refuses a code whose time step is not later than the last one accepted for the same user
 * (RFC 6238 §5.2), remembered in the security storage, so a code cannot be used twice, even on
 * another instance sharing Redis. Attempts are limited per user (`maxAttempts` per
 * `attemptWindowSec`, counted before the code is checked, so parallel guesses count too). Codes
 * and secrets never appear in events, logs or errors.
 *
 * @publicApi
 */
@Injectable()
export class TotpService {
  private readonly totp: ResolvedTotpOptions;

  constructor(
    @Inject(SECURITY_OPTIONS) options: AuthFeatureOptions,
    @Inject(SecurityStorage) private readonly storage: SecurityStorage,
    private readonly events: SecurityEvents,
  ) {
    this.totp = options.auth.mfa.totp;
  }

  /**
   * A new random secret (as many bytes as the HMAC's output) and its `otpauth://` URI. Confirm the
   * enrolment with a first `verify()` before you require the factor.
   * @param accountName the user's name in the authenticator app (e.g. their e-mail)
   * @param issuer your product's name; `auth.mfa.totp.issuer` when not given
   */
  enroll(accountName: string, issuer: string | undefined = this.totp.issuer): TotpEnrollment {
    if (typeof accountName !== 'string' || accountName.length === 0 || accountName.length > 256) {
      throw new TypeError('TotpService.enroll: accountName must be a non-empty string');
    }
    const secret = newTotpSecret(this.totp.secretBytes);
    const { algorithm, digits, periodSec } = this.totp;
    return { secret, uri: totpUri(secret, this.totp, accountName, issuer), algorithm, digits, periodSec };
  }

  /**
   * Checks `code` against the user's `secret`, once.
   * @param userId whose code it is (the attempt limit and replay record are per user)
   * @param secret the user's base32 secret from {@link enroll}
   * @param code what the user typed, as received (validated here)
   * @throws {BadRequestException} MFA_MALFORMED_CODE: not exactly `digits` digits
   * @throws {UnauthorizedException} MFA_INVALID_CODE (wrong or expired) / MFA_CODE_REPLAYED
   * @throws {HttpException} 429 MFA_TOO_MANY_ATTEMPTS
   * @throws {ServiceUnavailableException} STORAGE_UNAVAILABLE when the store does not answer
   */
  async verify(
    userId: string,
    secret: string,
    code: unknown,
    context: TotpCallContext = {},
  ): Promise<TotpVerification> {
    if (typeof userId !== 'string' || userId.length === 0)
      throw new TypeError('TotpService.verify: userId is required');
    if (!isTotpSecret(secret)) throw new TypeError('TotpService.verify: secret must be base32 of at least 10 bytes');
    if (typeof code !== 'string' || code.length !== this.totp.digits || !/^\d+$/.test(code)) {
      this.failed(userId, 'malformed', context);
      throw securityException(400, SecurityErrorCode.MFA_MALFORMED_CODE, Messages.MFA_MALFORMED_CODE(this.totp.digits));
    }
    const attemptsKey = storageKey('mfa', userId, 'attempts');
    const attempts = await this.guardStorage(() =>
      this.storage.increment(attemptsKey, 1, this.totp.attemptWindowSec * 1000),
    );
    if (attempts.value > this.totp.maxAttempts) {
      this.failed(userId, 'too_many_attempts', context);
      throw securityException(429, SecurityErrorCode.MFA_TOO_MANY_ATTEMPTS, Messages.MFA_TOO_MANY_ATTEMPTS(), {
        retryAfter: Math.max(1, Math.ceil(attempts.ttlMs / 1000)),
      });
    }
    const nowMs = this.nowMs();
    const step = matchTotp(secret, code, this.totp, this.totp.window, nowMs);
    if (step === undefined) {
      this.failed(userId, 'invalid', context);
      throw securityException(401, SecurityErrorCode.MFA_INVALID_CODE, Messages.MFA_INVALID_CODE());
    }
    // Kept while a code of that step (or an earlier one) could still match: then it cannot anyway.
    const ttlMs = (2 * this.totp.window + 2) * this.totp.periodSec * 1000;
    const accepted = await this.guardStorage(() =>
      this.storage.run(ACCEPT_TOTP_STEP, [storageKey('mfa', userId, 'step')], [step, ttlMs]),
    );
    if (accepted !== 1) {
      this.failed(userId, 'replayed', context);
      throw securityException(401, SecurityErrorCode.MFA_CODE_REPLAYED, Messages.MFA_CODE_REPLAYED());
    }
    await this.guardStorage(() => this.storage.delete(attemptsKey));
    this.events.emit({
      type: SecurityEventType.MFA_VERIFIED,
      outcome: 'success',
      request: context.request,
      principalId: userId,
      details: { method: 'totp' },
    });
    return { timeStep: step };
  }

  /** The current time in ms. Override to inject a clock. */
  protected nowMs(): number {
    return Date.now();
  }

  private failed(userId: string, reason: string, context: TotpCallContext): void {
    this.events.emit({
      type: SecurityEventType.MFA_FAILED,
      outcome: 'failure',
      reason,
      request: context.request,
      principalId: userId,
      details: { method: 'totp' },
    });
  }

  /** Storage failures become a 503 (fail closed: no code is accepted unchecked), with an event. */
  private async guardStorage<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error;
      this.events.emit({ type: SecurityEventType.STORAGE_UNAVAILABLE, outcome: 'failure', reason: 'mfa' });
      throw securityException(503, SecurityErrorCode.STORAGE_UNAVAILABLE, Messages.STORAGE_UNAVAILABLE());
    }
  }
}
