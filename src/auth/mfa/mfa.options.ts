import { SecurityConfigError } from '../../core/errors/security-config.error';
import {
  join,
  optionKeys,
  readEnum,
  readNumber,
  readString,
  readStrictSection,
  type Raw,
} from '../../core/options/validate.util';

/** HMAC algorithms of TOTP (RFC 6238). Most authenticator apps only implement SHA1. @publicApi */
export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** TOTP (RFC 6238) enrolment and verification. @publicApi */
export interface TotpOptions {
  /**
   * The issuer shown in authenticator apps (the `issuer` of the `otpauth://` URI), e.g. your
   * product's name. `TotpService.enroll()` may name another.
   * @default undefined (the URI names the account only)
   */
  issuer?: string;
  /**
   * HMAC algorithm. Keep SHA1 unless every authenticator app your users have supports the others.
   * @default 'SHA1'
   */
  algorithm?: TotpAlgorithm;
  /**
   * Code length.
   * @default 6
   */
  digits?: number;
  /**
   * Time step, in seconds.
   * @default 30
   */
  periodSec?: number;
  /**
   * Steps accepted before and after the current one (clock drift, a code typed at the end of its
   * step). 1 accepts three codes at any time; 0 only the current one.
   * @default 1
   */
  window?: number;
  /**
   * Verification attempts allowed per user within `attemptWindowSec`; more answer 429
   * `MFA_TOO_MANY_ATTEMPTS` without checking the code. A success resets the count.
   * @default 5
   */
  maxAttempts?: number;
  /**
   * The window of `maxAttempts`, in seconds (from the first attempt).
   * @default 900
   */
  attemptWindowSec?: number;
}

/** Step-up multi-factor authentication. @publicApi */
export interface MfaOptions {
  /**
   * How long a step-up counts, in seconds, on `@RequireMfa()` routes that name no `maxAgeSec`
   * (measured from the token's `auth_time`).
   * @default 900
   */
  maxAgeSec?: number;
  /** TOTP codes (authenticator apps). */
  totp?: TotpOptions;
}

/** @internal */
export interface ResolvedTotpOptions {
  issuer?: string;
  algorithm: TotpAlgorithm;
  digits: number;
  periodSec: number;
  window: number;
  maxAttempts: number;
  attemptWindowSec: number;
  /** Secret size in bytes for new enrolments: the HMAC's output size (RFC 4226 §4: ≥ 160 bits). */
  secretBytes: number;
}

/** @internal */
export interface ResolvedMfaOptions {
  maxAgeSec: number;
  totp: ResolvedTotpOptions;
}

const MFA_KEYS = optionKeys<MfaOptions>()(['maxAgeSec', 'totp']);
const TOTP_KEYS = optionKeys<TotpOptions>()([
  'issuer',
  'algorithm',
  'digits',
  'periodSec',
  'window',
  'maxAttempts',
  'attemptWindowSec',
]);
const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const satisfies readonly TotpAlgorithm[];
const SECRET_BYTES: Record<TotpAlgorithm, number> = { SHA1: 20, SHA256: 32, SHA512: 64 };
const DAY = 86_400;

function resolveTotp(value: unknown, path: string): ResolvedTotpOptions {
  const raw: Raw = readStrictSection(value, TOTP_KEYS, path);
  const issuer = readString(raw, 'issuer', path);
  if (issuer !== undefined && (issuer.length === 0 || issuer.includes(':'))) {
    throw SecurityConfigError.create(
      join(path, 'issuer'),
      'must be a non-empty name without ":"',
      'Use your product name, e.g. "Acme"',
    );
  }
  const algorithm = readEnum(raw, 'algorithm', path, ALGORITHMS, 'SHA1');
  const maxAttempts = readNumber(raw, 'maxAttempts', path, 5, { min: 1, max: 20, integer: true });
  return {
    issuer,
    algorithm,
    digits: readNumber(raw, 'digits', path, 6, { min: 6, max: 8, integer: true }),
    periodSec: readNumber(raw, 'periodSec', path, 30, { min: 15, max: 120, integer: true, unit: 'seconds' }),
    window: readNumber(raw, 'window', path, 1, { min: 0, max: 3, integer: true }),
    maxAttempts,
    attemptWindowSec: readNumber(raw, 'attemptWindowSec', path, 900, {
      min: 60,
      max: DAY,
      integer: true,
      unit: 'seconds',
    }),
    secretBytes: SECRET_BYTES[algorithm],
  };
}

/** Validates `auth.mfa` once at boot. @internal */
export function resolveMfaOptions(value: unknown, path: string): ResolvedMfaOptions {
  const raw = readStrictSection(value, MFA_KEYS, path);
  return {
    maxAgeSec: readNumber(raw, 'maxAgeSec', path, 900, { min: 1, max: DAY, integer: true, unit: 'seconds' }),
    totp: resolveTotp(raw.totp, join(path, 'totp')),
  };
}
