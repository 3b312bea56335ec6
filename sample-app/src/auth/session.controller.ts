import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  LoginRateLimit,
  Public,
  RateLimit,
  securityException,
  SessionCookies,
  type CookieSession,
} from 'nestjs-rampart';
import { UsersService } from '../users/users.service';
import { LoginDto } from './dto/auth.dto';

/**
 * Browser sessions: the tokens travel in HttpOnly cookies, never in a body a script can read.
 * Every POST/PUT/PATCH/DELETE that the access cookie authenticates (`POST /documents`...) needs
 * the CSRF token from the login in the `X-CSRF-Token` header; these three routes check it too.
 * The refresh cookie is sent only to `/auth/session` and below (`auth.session.refreshPath`).
 */
@Controller('auth/session')
export class SessionController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionCookies,
  ) {}

  /** Username + password → session cookies, and the CSRF token in the body. */
  @Public()
  @LoginRateLimit()
  @Post()
  @HttpCode(200)
  login(@Body() body: LoginDto, @Req() req: unknown, @Res({ passthrough: true }) res: unknown): Promise<CookieSession> {
    const user = this.users.verifyPassword(body.username, body.password);
    if (!user) throw securityException(401, 'INVALID_CREDENTIALS', 'Invalid username or password');
    return this.sessions.issue(
      { id: user.id, roles: user.roles, claims: { username: user.username, department: user.department } },
      { request: req, response: res },
    );
  }

  /** Rotates both token cookies from the refresh cookie (CSRF header required). */
  @Public()
  @RateLimit({ refresh: { limit: 30, windowSeconds: 60 } })
  @Post('refresh')
  @HttpCode(200)
  refresh(@Req() req: unknown, @Res({ passthrough: true }) res: unknown): Promise<CookieSession> {
    return this.sessions.refresh({ request: req, response: res });
  }

  /** Revokes the session and clears its cookies (CSRF header required while a session cookie is sent). */
  @Public()
  @RateLimit({ logout: { limit: 30, windowSeconds: 60 } })
  @Post('logout')
  @HttpCode(204)
  logout(@Req() req: unknown, @Res({ passthrough: true }) res: unknown): Promise<void> {
    return this.sessions.end({ request: req, response: res });
  }
}
