import { defineFeature } from '../core/feature/security-feature.interface';
import { ApiKeyService } from './api-key/api-key.service';
import { resolveAuthOptions } from './auth.options';
import { AuthenticationGuard } from './authentication.guard';
import { JwtAuthenticator } from './jwt/jwt-authenticator.service';
import { MfaGuard } from './mfa/mfa.guard';
import { REQUIRE_MFA_KEY } from './mfa/require-mfa.decorator';
import { TotpService } from './mfa/totp.service';
import { RevocationReplica } from './tokens/revocation-replica';
import { TokenRevocationService } from './tokens/token-revocation.service';
import { TokenService } from './tokens/token.service';
import { CsrfProtection } from './session/csrf-protection.service';
import { SessionCookies } from './session/session-cookies.service';

/** Authentication: JWT, refresh tokens, API keys. @internal */
export const authFeature = defineFeature({
  key: 'auth',
  resolve: resolveAuthOptions,
  providers: [
    RevocationReplica,
    TokenRevocationService,
    JwtAuthenticator,
    ApiKeyService,
    TokenService,
    TotpService,
    CsrfProtection,
    SessionCookies,
  ],
  exports: [TokenService, TokenRevocationService, ApiKeyService, JwtAuthenticator, TotpService, SessionCookies],
  enhancers: {
    // Always the real guard: with auth.enabled false it only marks the request as authenticated,
    // so the authorization stages behind it still see that authentication ran.
    guard: { kind: 'guard', type: AuthenticationGuard, when: () => true },
    // Only when some route carries @RequireMfa(); fails closed even with authentication off.
    mfaGuard: { kind: 'guard', type: MfaGuard, when: (_o, routesUse) => routesUse(REQUIRE_MFA_KEY) },
  },
  enabled: (o) => o.enabled,
  summary: (o) => {
    if (!o.enabled) return 'authentication off';
    const jwt = o.jwt.remoteJwks
      ? 'jwt (remote JWKS)'
      : `jwt (${o.jwt.keys.length} key${o.jwt.keys.length === 1 ? '' : 's'})`;
    const replica = o.revocation.outage === 'replica' ? ', revocation replica' : '';
    const session = o.session ? ', cookie sessions with CSRF tokens' : '';
    return `authentication ${o.defaultMethods.map((m) => (m === 'jwt' ? jwt : m)).join(', ')}${session}${replica}`;
  },
});
