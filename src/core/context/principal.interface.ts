/**
 * The authenticated caller, one shape for every authentication method. Set on the request by the
 * authentication guard (also as `request.user`) and read with `@CurrentPrincipal()`.
 *
 * @publicApi
 */
export interface Principal {
  /** How the caller authenticated. */
  type: 'user' | 'api-key' | 'service';
  /** Stable id: the JWT `sub`, or the API key's owner id. */
  id: string;
  /** Roles (from the configured JWT claim, or the API key's record). */
  roles: readonly string[];
  /** Scopes (OAuth `scope`/`scp` claim, or the API key's scopes). */
  scopes: readonly string[];
  /** Verified token claims or key metadata. Read-only. */
  claims: Readonly<Record<string, unknown>>;
  /** Rate-limit tier (e.g. `paid`), when the token or key names one. */
  tier?: string;
  /** The token's `jti` or the API key's id, for revocation and audit. */
  credentialId?: string;
}
