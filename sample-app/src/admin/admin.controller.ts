import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { AcceptRisk, Audit, RequireMfa, Roles } from 'nestjs-rampart';
import { UsersService, type User } from '../users/users.service';

/**
 * Admin-only user management. Every call is recorded in the audit trail (`AUDIT` events: who,
 * which action, which user, outcome). The service returns full records; the response denylist strips
 * `passwordHash` even though no DTO is declared here. Every route needs a TOTP step-up
 * from the last 15 minutes (`POST /auth/mfa/verify`).
 */
@Roles('admin')
@RequireMfa()
@Controller('admin')
export class AdminController {
  constructor(private readonly users: UsersService) {}

  @Audit('admin.users.list')
  @Get('users')
  listUsers(): User[] {
    return this.users.findAll();
  }

  @AcceptRisk('RAMPART_POSSIBLE_BOLA', 'Admins may read every user: the admin role is the object-level rule')
  @Audit('admin.user.read', { resource: 'user' })
  @Get('users/:id')
  getUser(@Param('id') id: string): User {
    const user = this.users.findById(id);
    if (!user) throw new NotFoundException();
    return user;
  }
}
