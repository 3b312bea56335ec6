import { isIP } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { RESET_LOGIN_ATTEMPTS } from './login-attempt.script';
import { ipKey, normalizeUsername, trackedAddress, usernameKeys } from './login-keys.util';
import { CLEAR_USERNAME, USERNAME_STATUS } from './login-protection.script';
import type { RateLimitFeatureOptions, ResolvedRateLimitOptions } from './rate-limit.options';
import { RateLimiterService } from './rate-limiter.service';

/** Longest username {@link LoginProtection} accepts (a login body's field is not bounded by us). */
const MAX_USERNAME_LENGTH = 256;

/** A username's login-protection state, from {@link LoginProtection.status}. @publicApi */
export interface LoginProtectionStatus {
  /** Failed attempts on the username from any IP in the current `perUsername` window. */
  failures: number;
  /** The `perUsername` limit (0 when it is off). */
  maxAttempts: number;
  /** Whether the per-username counter refuses every login now (even with the right password). */
  locked: boolean;
  /** Seconds until the per-username window ends (0 when nothing is counted). */
  resetsInSeconds: number;
  /** IP + username counters alive for this username: addresses that failed on it (at most 1000 tracked). */
  trackedIps: number;
  /** Of those, the ones at the module's IP + username limit (`rateLimit.login.maxAttempts`). */
  lockedIps: number;
}

/**
 * The admin side of the login limiter (`@LoginRateLimit()`): what a username's counters say, and
 * unlocking it. Operates on the SecurityModule storage with the rate limiter's failure policy
 * (while Redis is down under `failOpen`, on the per-instance insurance limiter; otherwise 503).
 *
 * @example
 * ```ts
 * await loginProtection.reset('alice'); // alice may log in again, from every IP
 * ```
 * @publicApi
 */
@Injectable()
export class LoginProtection {
  private readonly options: ResolvedRateLimitOptions;

  constructor(
    @Inject(SECURITY_OPTIONS) options: RateLimitFeatureOptions,
    private readonly limiter: RateLimiterService,
  ) {
    this.options = options.rateLimit;
  }

  /**
   * Unlocks a username: clears its failures from any IP (`perUsername`) and the IP + username
   * counters of every address that failed on it (the last 1000 addresses; older ones expire with
   * their window). It does not clear per-IP counters (`perIp`): an address spraying many accounts
   * stays limited; see {@link LoginProtection.resetIp}. Usernames compare trimmed and
   * case-insensitive, as the limiter counts them. Resolves to the number of counters removed.
   *
   * @throws {HttpException} 400 `VALIDATION_FAILED` for an empty or over-long username.
   * @throws {HttpException} 503 `STORAGE_UNAVAILABLE` when the storage fails and `rateLimit.failOpen` is false.
   */
  async reset(username: string): Promise<{ cleared: number }> {
    const keys = usernameKeys(checkUsername(username));
    const cleared = await this.limiter.run(CLEAR_USERNAME, [keys.user, keys.ips], []);
    return { cleared };
  }

  /**
   * Clears an address's failures across usernames (`perIp`), e.g. an office gateway locked out by
   * its users' typos. An IPv6 address clears its whole tracked prefix (`ipv6PrefixLength`).
   * Resolves to whether a counter was removed.
   *
   * @throws {HttpException} 400 `VALIDATION_FAILED` when `ip` is not an IPv4 or IPv6 address.
   */
  async resetIp(ip: string): Promise<boolean> {
    if (typeof ip !== 'string' || isIP(ip) === 0) {
      throw securityException(400, SecurityErrorCode.VALIDATION_FAILED, Messages.LOGIN_PROTECTION_IP());
    }
    const removed = await this.limiter.run(
      RESET_LOGIN_ATTEMPTS,
      [ipKey(trackedAddress(ip, this.options.ipv6Groups))],
      [],
    );
    return removed > 0;
  }

  /**
   * A username's counters: failures from any IP, whether it is locked, and how many addresses are
   * counted (or locked) on it. Reads only; never counts an attempt.
   *
   * @throws {HttpException} 400 `VALIDATION_FAILED` for an empty or over-long username.
   */
  async status(username: string): Promise<LoginProtectionStatus> {
    const keys = usernameKeys(checkUsername(username));
    const login = this.options.login;
    const [failures, pttl, trackedIps, lockedIps] = await this.limiter.run(
      USERNAME_STATUS,
      [keys.user, keys.ips],
      [String(login.maxAttempts)],
    );
    const maxAttempts = login.perUsername?.maxAttempts ?? 0;
    return {
      failures,
      maxAttempts,
      locked: maxAttempts > 0 && failures >= maxAttempts,
      resetsInSeconds: pttl > 0 ? Math.ceil(pttl / 1000) : 0,
      trackedIps,
      lockedIps,
    };
  }
}

function checkUsername(username: unknown): string {
  const normalized = typeof username === 'string' ? normalizeUsername(username) : '';
  if (normalized.length === 0 || normalized.length > MAX_USERNAME_LENGTH) {
    throw securityException(400, SecurityErrorCode.VALIDATION_FAILED, Messages.LOGIN_PROTECTION_USERNAME());
  }
  return normalized;
}
