import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { AcceptRisk, Roles } from 'nestjs-rampart';
import { UsersService, type User } from '../users/users.service';

/**
 * Admin-only user management. The service returns full records; the response denylist strips
 * `passwordHash` even though no DTO is declared here.
 */
@Roles('admin')
@Controller('admin')
export class AdminController {
  constructor(private readonly users: UsersService) {}

  @Get('users')
  listUsers(): User[] {
    return this.users.findAll();
  }

  @AcceptRisk('RAMPART_POSSIBLE_BOLA', 'Admins may read every user: the admin role is the object-level rule')
  @Get('users/:id')
  getUser(@Param('id') id: string): User {
    const user = this.users.findById(id);
    if (!user) throw new NotFoundException();
    return user;
  }
}
