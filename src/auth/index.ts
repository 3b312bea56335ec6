export { Public } from './public.decorator';
export { CurrentPrincipal } from './current-principal.decorator';
export { Auth } from './auth.decorator';
export { Scopes } from './scopes.decorator';
export { AUTH_METHODS_KEY, SCOPES_KEY } from './auth.constants';
export { AuthenticationGuard } from './authentication.guard';
export { JwtAuthenticator } from './jwt/jwt-authenticator.service';
export { JwtVerificationError, type JwtFailureReason } from './jwt/jwt-error';
export { JWT_ALGORITHMS, type JwtAlgorithm } from './jwt/jwt-crypto.util';
export { JwtVerifier, type JwtClaims, type TokenKind } from './jwt/jwt-verifier';
export { TokenService, type TokenPair, type TokenSubject, type TokenCallContext } from './tokens/token.service';
export { TokenRevocationService } from './tokens/token-revocation.service';
export {
  ApiKeyService,
  ApiKeyVerificationError,
  type ApiKeyFailureReason,
  type ApiKeyInfo,
  type CreateApiKeyInput,
  type CreatedApiKey,
} from './api-key/api-key.service';
export type { ApiKeyRecord, ApiKeyStore } from './api-key/api-key-store.interface';
export { StorageApiKeyStore } from './api-key/storage-api-key.store';
