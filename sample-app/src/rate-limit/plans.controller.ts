import { Controller, Get, NotFoundException, Param, Post, Req } from '@nestjs/common';
import {
  AcceptRisk,
  ApiKeyService,
  Auth,
  CurrentPrincipal,
  RateLimit,
  Roles,
  type CreatedApiKey,
  type Principal,
} from 'nestjs-rampart';
import { UsersService } from '../users/users.service';

/**
 * Rate-limit tiers in the sample. A principal's tier comes from its token's `tier` claim or its API
 * key; here an admin grants a user a `paid` API key (300/min + 10 000/h instead of the
 * `authenticated` 60/min + 1 000/h), and the export route shows per-route tier quotas.
 */
@Controller('plans')
export class PlansController {
  constructor(
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeyService,
  ) {}

  /** Admin only: an API key on the `paid` tier for the given user (shown once). */
  @Roles('admin')
  @AcceptRisk('RAMPART_POSSIBLE_BOLA', 'Admins grant paid keys to any user: the admin role is the object-level rule')
  @Post('users/:id/paid-key')
  async grantPaidKey(@Param('id') id: string, @Req() req: unknown): Promise<CreatedApiKey> {
    const user = this.users.findById(id);
    if (!user) throw new NotFoundException();
    return this.apiKeys.create(
      { ownerId: user.id, roles: user.roles, tier: 'paid', name: 'paid plan' },
      { request: req },
    );
  }

  /**
   * An expensive route with tighter quotas of its own per tier (keyed by principal, separate
   * from the tier's shared budget): 5/min for `authenticated`, 50/min for `paid`.
   */
  @Auth(['jwt', 'api-key'])
  @RateLimit({
    'authenticated.minute': { limit: 5, windowSeconds: 60 },
    'paid.minute': { limit: 50, windowSeconds: 60 },
  })
  @Get('export')
  export(@CurrentPrincipal() principal: Principal): { owner: string; tier: string; rows: number[] } {
    return { owner: principal.id, tier: principal.tier ?? 'authenticated', rows: [1, 2, 3] };
  }
}
