import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { getRequest } from '../core/context/get-request';
import type { Principal } from '../core/context/principal.interface';
import { getSecurityState } from '../core/context/request-state';
import { SecurityEvents } from '../core/events/security-events.service';
import type { AuthorizationFeatureOptions } from './authorization.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { principalHasGrant, principalHasRoles } from './access.util';
import { AuthorizationRegistry } from './authorization.registry';
import { denied, requirePrincipal } from './authorization-failures';
import type { CompiledRequirement } from './route-rules';

/**
 * Enforces `@Roles()` and `@Permissions()` with the role hierarchy of `authorization.roles`.
 * Runs after authentication and refuses to decide before it: a route with rules reached before
 * authentication ran is a 500 (misordered pipeline), never a pass. Routes without rules are left
 * to authentication; `@Public()` routes are checked only when they carry rules.
 *
 * @throws {UnauthorizedException} a route with rules and no principal (401 `AUTHENTICATION_REQUIRED`)
 * @throws {ForbiddenException} missing role or permission (403 `PERMISSION_DENIED`)
 * @publicApi
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: AuthorizationFeatureOptions,
    private readonly registry: AuthorizationRegistry,
    private readonly events: SecurityEvents,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const rules = this.registry.rulesFor(ctx.getClass(), ctx.getHandler());
    // No rules: nothing to decide, authentication alone guards the route (and still runs if misordered).
    if (!rules.hasAccessRules) return true;
    const request = getRequest(ctx);
    const state = getSecurityState(request);
    const { auth, authorization } = this.options;
    const principal = requirePrincipal(
      this.events,
      request,
      state,
      auth.enabled,
      'authorization',
      authorization.exceptionFactory,
    );
    if (rules.roles && !this.hasRoles(principal, rules.roles)) this.refuse(request, principal, rules.roles);
    if (rules.permissions && !this.hasPermissions(principal, rules.permissions)) {
      this.refuse(request, principal, rules.permissions);
    }
    return true;
  }

  /** Whether the principal satisfies a `@Roles()` requirement. Override to source roles elsewhere. */
  protected hasRoles(principal: Principal, requirement: CompiledRequirement): boolean {
    return principalHasRoles(principal, requirement.values, requirement.match, this.options.authorization);
  }

  /** Whether the principal satisfies a `@Permissions()` requirement. */
  protected hasPermissions(principal: Principal, requirement: CompiledRequirement): boolean {
    const test = (candidates: readonly string[]) =>
      principalHasGrant(principal, candidates, this.options.authorization);
    return requirement.match === 'all' ? requirement.candidates.every(test) : requirement.candidates.some(test);
  }

  private refuse(request: unknown, principal: Principal, requirement: CompiledRequirement): never {
    throw denied(
      this.events,
      request,
      403,
      'insufficient_privileges',
      { rule: requirement.rule, principalRoles: principal.roles },
      this.options.authorization.exceptionFactory,
    );
  }
}
