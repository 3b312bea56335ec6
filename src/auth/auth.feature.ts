import { defineFeature } from '../core/feature/security-feature.interface';
import { ApiKeyService } from './api-key/api-key.service';
import { resolveAuthOptions } from './auth.options';
import { AuthenticationGuard } from './authentication.guard';
import { JwtAuthenticator } from './jwt/jwt-authenticator.service';
import { RevocationReplica } from './tokens/revocation-replica';
import { TokenRevocationService } from './tokens/token-revocation.service';
import { TokenService } from './tokens/token.service';

/** Authentication: JWT, refresh tokens, API keys. @internal */
export const authFeature = defineFeature({
  key: 'auth',
  resolve: resolveAuthOptions,
  providers: [RevocationReplica, TokenRevocationService, JwtAuthenticator, ApiKeyService, TokenService],
  exports: [TokenService, TokenRevocationService, ApiKeyService, JwtAuthenticator],
  enhancers: {
    // Always the real guard: with auth.enabled false it only marks the request as authenticated,
    // so the authorization stages behind it still see that authentication ran.
    guard: { kind: 'guard', type: AuthenticationGuard, when: () => true },
  },
  enabled: (o) => o.enabled,
  summary: (o) => {
    if (!o.enabled) return 'authentication off';
    const jwt = o.jwt.remoteJwks
      ? 'jwt (remote JWKS)'
      : `jwt (${o.jwt.keys.length} key${o.jwt.keys.length === 1 ? '' : 's'})`;
    const replica = o.revocation.outage === 'replica' ? ', revocation replica' : '';
    return `authentication ${o.defaultMethods.map((m) => (m === 'jwt' ? jwt : m)).join(', ')}${replica}`;
  },
});
