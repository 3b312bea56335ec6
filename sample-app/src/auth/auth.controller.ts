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
  type CreatedApiKey,
  type Principal,
  type TokenPair,
} from 'nestjs-rampart';
import { UsersService } from '../users/users.service';
import { CreateApiKeyDto, LoginDto, LogoutDto, RefreshDto } from './dto/auth.dto';

/** Login, refresh, logout, API-key creation and "who am I" for the sample app. */
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly apiKeys: ApiKeyService,
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
    );
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
