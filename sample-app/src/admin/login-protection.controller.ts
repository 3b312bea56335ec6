import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { Audit, LoginProtection, RequireMfa, Roles, type LoginProtectionStatus } from 'nestjs-rampart';

/**
 * Admin-only unlock of the login limiter: a username locked by failed logins (from one IP or from
 * many) can log in again once an admin resets it. Every call is in the audit trail (`AUDIT`
 * events without the username: the route has no `:id`). A username that is empty or longer than
 * 256 characters gets 400 `VALIDATION_FAILED`. Like every admin route, it needs a TOTP step-up
 * from the last 15 minutes (`POST /auth/mfa/verify`).
 */
@Roles('admin')
@RequireMfa()
@Controller('admin/login-protection')
export class LoginProtectionController {
  constructor(private readonly protection: LoginProtection) {}

  /** The username's failure counters: `{ failures, maxAttempts, locked, resetsInSeconds, trackedIps, lockedIps }`. */
  @Audit('admin.login_protection.read', { resource: 'login-protection' })
  @Get(':username')
  status(@Param('username') username: string): Promise<LoginProtectionStatus> {
    return this.protection.status(username);
  }

  /** Clears the username's failures from every IP: `{ cleared }` counters removed. */
  @Audit('admin.login_protection.reset', { resource: 'login-protection' })
  @Post(':username/reset')
  @HttpCode(200)
  reset(@Param('username') username: string): Promise<{ cleared: number }> {
    return this.protection.reset(username);
  }
}
