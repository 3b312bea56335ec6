/** Why a CSRF token was refused; `code` is the error code the client gets. @internal */
export class CsrfTokenError extends Error {
  constructor(
    readonly code: 'CSRF_TOKEN_MISSING' | 'CSRF_TOKEN_INVALID',
    /** The precise reason, for the security event only. */
    readonly reason: string,
  ) {
    super(reason);
    this.name = this.constructor.name;
  }
}
