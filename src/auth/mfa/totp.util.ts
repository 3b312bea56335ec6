import { Secret, TOTP } from 'otpauth';
import type { TotpAlgorithm } from './mfa.options';

/** The TOTP parameters of one secret. @internal */
export interface TotpParams {
  algorithm: TotpAlgorithm;
  digits: number;
  periodSec: number;
}

const BASE32 = /^[A-Z2-7]+=*$/;

/** A new random secret of `bytes` bytes, base32 (RFC 4648, no padding), as authenticator apps take it. @internal */
export function newTotpSecret(bytes: number): string {
  return new Secret({ size: bytes }).base32;
}

/** Whether `secret` is base32 text that decodes to at least 10 bytes (RFC 4226 §4 asks for 16+). @internal */
export function isTotpSecret(secret: unknown): secret is string {
  return (
    typeof secret === 'string' && BASE32.test(secret) && Math.floor((secret.replace(/=+$/, '').length * 5) / 8) >= 10
  );
}

/** The `otpauth://totp/…` URI an authenticator app scans (as a QR code). @internal */
export function totpUri(secret: string, params: TotpParams, accountName: string, issuer?: string): string {
  return new TOTP({
    ...(issuer ? { issuer } : {}),
    label: accountName,
    secret: Secret.fromBase32(secret),
    algorithm: params.algorithm,
    digits: params.digits,
    period: params.periodSec,
  }).toString();
}

/** The code of `secret` at `timeMs` (tests, and apps that send codes by another channel). @internal */
export function totpCode(secret: string, params: TotpParams, timeMs: number): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: params.algorithm,
    digits: params.digits,
    period: params.periodSec,
    timestamp: timeMs,
  });
}

/**
 * The time step (`floor(unix seconds / period)`) whose code `code` is, within `window` steps of
 * `timeMs`, or `undefined`. otpauth compares each candidate in constant time
 * (`crypto.timingSafeEqual`); `code` must already have the configured length.
 *
 * @internal
 */
export function matchTotp(
  secret: string,
  code: string,
  params: TotpParams,
  window: number,
  timeMs: number,
): number | undefined {
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secret),
    algorithm: params.algorithm,
    digits: params.digits,
    period: params.periodSec,
    timestamp: timeMs,
    window,
  });
  return delta === null ? undefined : Math.floor(timeMs / 1000 / params.periodSec) + delta;
}
