import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import {
  AllowSensitiveFields,
  ApiKeyService,
  Auth,
  CurrentPrincipal,
  LoginRateLimit,
  Public,
  RateLimit,
  securityException,
  TokenService,
  TotpService,
  type CreatedApiKey,
  type Principal,
  type TokenPair,
  type TotpEnrollment,
} from 'nestjs-rampart';
import { UsersService } from '../users/users.service';
import { CreateApiKeyDto, LoginDto, LogoutDto, MfaCodeDto, RefreshDto } from './dto/auth.dto';

/** Login, refresh, logout, TOTP step-up, API-key creation and "who am I" for the sample app. */
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly apiKeys: ApiKeyService,
    private readonly totp: TotpService,
  ) {}

  /** Username + password → access + refresh token. 5 failures per 5 min per IP + username → 429. */
  @Public()
  @LoginRateLimit()
  @AllowSensitiveFields('refreshToken')
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Req() req: unknown): Promise<TokenPair> {
    const user = this.users.verifyPassword(body.username, body.password);
    if (!user) throw securityException(401, 'INVALID_CREDENTIALS', 'Invalid username or password');
    return this.tokens.issue(
      { id: user.id, roles: user.roles, claims: { username: user.username, department: user.department } },
      { request: req },
      { amr: ['pwd'] },
    );
  }

  /**
   * Starts a TOTP enrolment: a new secret and its `otpauth://` URI (show it as a QR code). The
   * first code verified confirms it. Refused (409) once a secret is confirmed: replacing a second
   * factor must not be possible with a password alone.
   */
  @Auth('jwt')
  @AllowSensitiveFields('secret')
  @Post('mfa/enroll')
  @HttpCode(201)
  enrollTotp(@CurrentPrincipal() principal: Principal): TotpEnrollment {
    const enrollment = this.totp.enroll(String(principal.claims.username ?? principal.id));
    if (!this.users.startTotpEnrolment(principal.id, enrollment.secret)) {
      throw securityException(409, 'MFA_ALREADY_ENROLLED', 'A TOTP authenticator is already set up for this account');
    }
    return enrollment;
  }

  /**
   * Step-up: a TOTP code → new tokens whose `amr` lists `otp` and `mfa` and whose `auth_time` is now
   * (`@RequireMfa()` routes accept them). Wrong, reused or malformed codes: 401/400; 5 wrong codes
   * per 15 minutes: 429.
   */
  @Auth('jwt')
  @AllowSensitiveFields('refreshToken')
  @Post('mfa/verify')
  @HttpCode(200)
  async verifyTotp(
    @CurrentPrincipal() principal: Principal,
    @Body() body: MfaCodeDto,
    @Req() req: unknown,
  ): Promise<TokenPair> {
    const enrolled = this.users.totpSecretOf(principal.id);
    if (!enrolled)
      throw securityException(400, 'MFA_NOT_ENROLLED', 'Set up an authenticator first: POST /auth/mfa/enroll');
    await this.totp.verify(principal.id, enrolled.secret, body.code, { request: req });
    if (enrolled.pending) this.users.confirmTotpEnrolment(principal.id);
    return this.tokens.stepUp(principal, ['otp'], { request: req });
  }

  /** Rotates the refresh token: the old one is retired; presenting it again ends the session. */
  @Public()
  @RateLimit({ refresh: { limit: 30, windowSeconds: 60 } })
  @AllowSensitiveFields('refreshToken')
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: RefreshDto, @Req() req: unknown): Promise<TokenPair> {
    return this.tokens.refresh(body.refreshToken, { request: req });
  }

  /** Ends the session: this access token, its refresh family and (if sent) the refresh token. */
  @Auth('jwt')
  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentPrincipal() principal: Principal, @Body() body: LogoutDto, @Req() req: unknown): Promise<void> {
    await this.tokens.logoutPrincipal(principal, { request: req });
    if (body.refreshToken) await this.tokens.revoke(body.refreshToken, { request: req });
  }

  /**
   * Creates an API key for the caller. The key is in this response only: it cannot be shown again.
   * `createFor` needs a login from the last 5 minutes (a stolen access token alone cannot mint a
   * long-lived key; refreshing does not count as a login), caps the lifetime at 90 days, and ties
   * the key to this session: logout, refresh-token reuse or "log out everywhere" revoke it too.
   */
  @Auth('jwt')
  @Post('api-keys')
  createApiKey(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateApiKeyDto,
    @Req() req: unknown,
  ): Promise<CreatedApiKey> {
    return this.apiKeys.createFor(
      principal,
      { roles: principal.roles, name: body.name, scopes: body.scopes, expiresInSec: body.expiresInSec },
      { request: req },
    );
  }

  /** The authenticated principal (JWT or API key). */
  @Auth(['jwt', 'api-key'])
  @Get('me')
  me(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }
}
