/**
 * Why a token was refused. Precise, machine-friendly, for security events only: clients always
 * get the generic "Invalid or expired token".
 *
 * @publicApi
 */
export type JwtFailureReason =
  | 'malformed'
  | 'alg_none'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'invalid_kid'
  | 'embedded_key'
  | 'unknown_crit'
  | 'bad_signature'
  | 'wrong_type'
  | 'missing_claim'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'too_old'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'revoked'
  | 'jwks_unavailable';

/**
 * A JWT was refused. `reason` is for audit events, never for clients.
 *
 * @publicApi
 */
export class JwtVerificationError extends Error {
  constructor(
    readonly reason: JwtFailureReason,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = this.constructor.name;
  }
}
