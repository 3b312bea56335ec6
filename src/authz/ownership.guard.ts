import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { graphqlFieldResources } from '../core/context/graphql-field.util';
import { getRequest, type HttpRequestLike } from '../core/context/get-request';
import type { Principal } from '../core/context/principal.interface';
import { getSecurityState, type SecurityRequestState } from '../core/context/request-state';
import { SecurityEventType } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import type { PolicyContext, ResourceLoader } from './authorization.options';
import type { AuthorizationFeatureOptions } from './authorization.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { ownsValue, permissionCandidates, principalHasGrant, principalHasRole } from './access.util';
import { AuthorizationRegistry } from './authorization.registry';
import { denied, internalFailure, requirePrincipal } from './authorization-failures';
import type { CompiledOwnsRule, CompiledPolicyRule, OwnerReader } from './route-rules';

/** One request's progress through its resource rules. */
interface Run {
  request: HttpRequestLike;
  principal: Principal;
  state: SecurityRequestState;
  /** Route parameters (HTTP) or resolver arguments (GraphQL). */
  params: Readonly<Record<string, unknown>>;
  resources: Map<string, unknown>;
  /** Id each resource type was loaded with, so a second rule on the same id reuses it. */
  ids: Map<string, string>;
}

type Step = CompiledOwnsRule | CompiledPolicyRule;

function isPromise<T>(value: unknown): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

/**
 * Enforces `@Owns()` and `@Policy()`: loads each resource once through its registered loader,
 * checks ownership (explicit override roles only) and named policies, and keeps the resources
 * for `@LoadedResource()`. Synchronous loaders keep the check synchronous. A loader or policy
 * that throws is a generic 500 (and an event), never access.
 *
 * @throws {UnauthorizedException} rules and no principal (401)
 * @throws {NotFoundException} missing resource, or not the owner (default) (404 `NOT_FOUND`)
 * @throws {ForbiddenException} not the owner with `notOwnerStatus: 403`, or a policy refused (403)
 * @publicApi
 */
@Injectable()
export class OwnershipGuard implements CanActivate {
  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: AuthorizationFeatureOptions,
    private readonly registry: AuthorizationRegistry,
    private readonly events: SecurityEvents,
  ) {}

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    const rules = this.registry.rulesFor(ctx.getClass(), ctx.getHandler());
    if (!rules.hasResourceRules) return true;
    const request = getRequest(ctx);
    const state = getSecurityState(request);
    const { auth, authorization } = this.options;
    const principal = requirePrincipal(
      this.events,
      request,
      state,
      auth.enabled,
      'ownership',
      authorization.exceptionFactory,
    );
    // GraphQL: per field call (aliases may check several ids in one request); HTTP: per request.
    const resources = graphqlFieldResources(ctx) ?? (state.resources ??= new Map());
    const params = (ctx.getType<string>() === 'graphql' ? ctx.getArgByIndex(1) : request.params) as Run['params'];
    const run: Run = { request, principal, state, params: params ?? {}, resources, ids: new Map() };
    return this.runFrom(rules.resourceSteps, 0, run);
  }

  /** Whether `principal` owns `resource`. Override for custom ownership (teams, tenants...). */
  protected isOwner(principal: Principal, resource: unknown, ownerOf: OwnerReader): boolean {
    return ownsValue(ownerOf(resource), principal.id);
  }

  private runFrom(steps: readonly Step[], from: number, run: Run): true | Promise<true> {
    for (let i = from; i < steps.length; i++) {
      const pending =
        'evaluate' in steps[i]
          ? this.policy(steps[i] as CompiledPolicyRule, run)
          : this.owns(steps[i] as CompiledOwnsRule, run);
      if (pending) return pending.then(() => this.runFrom(steps, i + 1, run));
    }
    return true;
  }

  private owns(rule: CompiledOwnsRule, run: Run): Promise<void> | undefined {
    const id = this.resourceId(rule.param, rule.rule, run);
    const loaded = this.load(rule.loader, rule.resource, id, rule.rule, run);
    if (isPromise(loaded)) return loaded.then((resource) => this.checkOwner(rule, id, resource, run));
    this.checkOwner(rule, id, loaded, run);
    return undefined;
  }

  private checkOwner(rule: CompiledOwnsRule, id: string, resource: unknown, run: Run): void {
    this.keep(rule.resource, id, resource, rule.rule, run);
    if (this.safely(() => this.isOwner(run.principal, resource, rule.ownerOf), rule, id, run)) return;
    for (const role of rule.overrideRoles) {
      if (!principalHasRole(run.principal, role, this.options.authorization)) continue;
      // Allowed, but on someone else's record: worth an audit line.
      this.events.emit({
        type: SecurityEventType.OWNERSHIP_OVERRIDE,
        outcome: 'info',
        reason: 'override_role',
        request: run.request,
        details: { ...this.details(rule.rule, rule.resource, id), role },
      });
      return;
    }
    throw denied(
      this.events,
      run.request,
      rule.notOwnerStatus,
      'not_owner',
      this.details(rule.rule, rule.resource, id),
      this.options.authorization.exceptionFactory,
    );
  }

  private policy(rule: CompiledPolicyRule, run: Run): Promise<void> | undefined {
    if (!rule.loader) return this.evaluate(rule, undefined, run);
    const id = this.resourceId(rule.param, rule.rule, run);
    const loaded = this.load(rule.loader, rule.resource as string, id, rule.rule, run);
    if (isPromise(loaded)) {
      return loaded.then((resource) => {
        this.keep(rule.resource as string, id, resource, rule.rule, run);
        return this.evaluate(rule, id, run);
      });
    }
    this.keep(rule.resource as string, id, loaded, rule.rule, run);
    return this.evaluate(rule, id, run);
  }

  private evaluate(rule: CompiledPolicyRule, id: string | undefined, run: Run): Promise<void> | undefined {
    const resource = rule.resource === undefined ? undefined : run.resources.get(rule.resource);
    const resourceId = id ?? (rule.resource === undefined ? undefined : run.ids.get(rule.resource));
    const context = this.policyContext(rule, resource, run);
    const verdict = (result: unknown): void => {
      if (result === true) return;
      const status = resource === undefined ? 403 : rule.deniedStatus;
      throw denied(
        this.events,
        run.request,
        status,
        'policy_denied',
        this.details(rule.rule, rule.resource, resourceId),
        this.options.authorization.exceptionFactory,
      );
    };
    const result = this.safely(() => rule.evaluate(context), rule, resourceId, run);
    if (!isPromise(result)) {
      verdict(result);
      return undefined;
    }
    return result.then(verdict, (error: unknown) => {
      throw this.failure(error, rule.rule, rule.resource, resourceId, run);
    });
  }

  private policyContext(rule: CompiledPolicyRule, resource: unknown, run: Run): PolicyContext {
    const { principal } = run;
    const authz = this.options.authorization;
    return {
      principal,
      resource,
      resourceType: rule.resource,
      request: run.request,
      hasRole: (role) => principalHasRole(principal, role, authz),
      hasPermission: (permission) => principalHasGrant(principal, permissionCandidates(permission), authz),
      isOwner: () => resource !== undefined && !!rule.ownerOf && this.isOwner(principal, resource, rule.ownerOf),
    };
  }

  private resourceId(param: string, rule: string, run: Run): string {
    const id = run.params[param];
    if (typeof id === 'string' && id.length > 0) return id;
    if (typeof id === 'number' && Number.isFinite(id)) return String(id);
    // The route does not have the parameter the rule names: a configuration mistake.
    throw internalFailure(this.events, run.request, 'resource_param_missing', { rule, param });
  }

  private load(loader: ResourceLoader, type: string, id: string, rule: string, run: Run): unknown {
    if (run.ids.get(type) === id) return run.resources.get(type);
    const context = { principal: run.principal, request: run.request, params: run.params };
    let loaded: unknown;
    try {
      loaded = loader.load(id, context);
    } catch (error) {
      throw this.failure(error, rule, type, id, run);
    }
    if (!isPromise(loaded)) return loaded;
    return loaded.catch((error: unknown) => {
      throw this.failure(error, rule, type, id, run);
    });
  }

  private keep(type: string, id: string, resource: unknown, rule: string, run: Run): void {
    if (resource === undefined || resource === null) {
      throw denied(
        this.events,
        run.request,
        404,
        'resource_not_found',
        this.details(rule, type, id),
        this.options.authorization.exceptionFactory,
      );
    }
    run.resources.set(type, resource);
    run.ids.set(type, id);
  }

  private safely<T>(fn: () => T, rule: Step, id: string | undefined, run: Run): T {
    try {
      return fn();
    } catch (error) {
      throw this.failure(error, rule.rule, rule.resource, id, run);
    }
  }

  /** A loader or policy failed: deliberate HTTP errors pass through, anything else is a generic 500. */
  private failure(
    error: unknown,
    rule: string,
    type: string | undefined,
    id: string | undefined,
    run: Run,
  ): HttpException {
    if (error instanceof HttpException) return error;
    const name = error instanceof Error ? error.constructor.name : typeof error;
    return internalFailure(this.events, run.request, 'authorization_resolver_failed', {
      ...this.details(rule, type, id),
      error: name,
    });
  }

  private details(rule: string, resourceType: string | undefined, resourceId: string | undefined) {
    return { rule, resourceType, resourceId };
  }
}
