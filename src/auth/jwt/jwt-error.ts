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

/** Longest detail kept in the message: a detail may quote a token's header (`alg`, `typ`), which the caller chose. */
const MAX_DETAIL = 64;

/**
 * A JWT was refused. `reason` is for audit events, never for clients. The message is the reason
 * and a short detail (cut to 64 characters, control characters replaced), never the token.
 *
 * @publicApi
 */
export class JwtVerificationError extends Error {
  constructor(
    readonly reason: JwtFailureReason,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${printable(detail)}` : reason);
    this.name = this.constructor.name;
  }
}

function printable(detail: string): string {
  const clean = detail.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > MAX_DETAIL ? `${clean.slice(0, MAX_DETAIL)}…` : clean;
}
