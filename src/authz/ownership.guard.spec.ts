import { ForbiddenException, type ExecutionContext } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { Principal } from '../core/context/principal.interface';
import { getSecurityState } from '../core/context/request-state';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import type { SecurityEvent } from '../core/events/security-event.interface';
import { SecurityEvents } from '../core/events/security-events.service';
import { resolveSecurityOptions } from '../security.options';
import { AuthorizationRegistry } from './authorization.registry';
import { OwnershipGuard } from './ownership.guard';
import { Owns } from './owns.decorator';
import { Policy } from './policy.decorator';
import { RolesGuard } from './roles.guard';

const records = new Map([['r1', { id: 'r1', ownerId: 'u1', team: ['u1', 'u2'] }]]);

class Routes {
  @Owns('record')
  sync() {}
  @Owns('slow')
  async() {}
  @Owns('team')
  team() {}
  @Owns('record')
  @Policy('forbids')
  both() {}
  @Owns('denies')
  denies() {}
  open() {}
  @Owns('record', { param: 'recordId' })
  wrongParam() {}
}

const events: SecurityEvent[] = [];
const options = resolveSecurityOptions({
  events: { logger: false, sinks: [(e) => events.push(e)] },
  authorization: {
    resources: {
      record: { load: (id) => records.get(id) },
      slow: { load: async (id) => records.get(id) },
      team: { load: (id) => records.get(id), getOwnerId: (r) => (r as { team: string[] }).team },
      denies: {
        load: () => {
          throw new ForbiddenException();
        },
      },
    },
    policies: { forbids: () => false },
  },
});
const registry = new AuthorizationRegistry(options, new Reflector(), new ModulesContainer(), new RoutePlanCache());
const guard = new OwnershipGuard(options, registry, new SecurityEvents(options));
const roles = new RolesGuard(options, registry, new SecurityEvents(options));

function context(handler: keyof Routes, id: string, principal?: Principal, authenticated = true) {
  const req = { headers: {}, params: { id } };
  const state = getSecurityState(req);
  state.authenticated = authenticated;
  state.principal = principal;
  const ctx: ExecutionContext = new ExecutionContextHost(
    [req, {}],
    Routes,
    Routes.prototype[handler] as (...args: unknown[]) => unknown,
  );
  return { ctx, state };
}

const user = (id: string): Principal => ({ type: 'user', id, roles: [], scopes: [], claims: {} });

describe('OwnershipGuard', () => {
  beforeEach(() => (events.length = 0));

  it('stays synchronous with a synchronous loader and keeps the resource', () => {
    const { ctx, state } = context('sync', 'r1', user('u1'));
    expect(guard.canActivate(ctx)).toBe(true);
    expect(state.resources?.get('record')).toBe(records.get('r1'));
  });

  it('reads the id from the resolver arguments on GraphQL', () => {
    const req = { headers: {} };
    const state = getSecurityState(req);
    state.authenticated = true;
    state.principal = user('u1');
    const args = [undefined, { id: 'r1' }, { req }];
    const ctx = {
      getClass: () => Routes,
      getHandler: () => Routes.prototype.sync,
      getType: () => 'graphql',
      getArgByIndex: (i: number) => args[i],
    } as unknown as ExecutionContext;
    expect(guard.canActivate(ctx)).toBe(true);
    expect(state.resources?.get('record')).toBe(records.get('r1'));
  });

  it('awaits an async loader', async () => {
    const { ctx } = context('async', 'r1', user('u1'));
    const result = guard.canActivate(ctx);
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(true);
    await expect(guard.canActivate(context('async', 'r1', user('u9')).ctx)).rejects.toMatchObject({ status: 404 });
  });

  it('reads several owners through getOwnerId', () => {
    expect(guard.canActivate(context('team', 'r1', user('u2')).ctx)).toBe(true);
    expect(() => guard.canActivate(context('team', 'r1', user('u3')).ctx)).toThrow(
      expect.objectContaining({ status: 404 }),
    );
  });

  it('refuses with 404 when a policy on the @Owns resource says no, after ownership passed', () => {
    expect(() => guard.canActivate(context('both', 'r1', user('u1')).ctx)).toThrow(
      expect.objectContaining({ status: 404 }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ reason: 'policy_denied', details: expect.objectContaining({ resourceId: 'r1' }) }),
    );
  });

  it('passes a deliberate HttpException from a loader through (never access)', () => {
    expect(() => guard.canActivate(context('denies', 'r1', user('u1')).ctx)).toThrow(ForbiddenException);
  });

  it('fails closed with a 500 and a misordered-pipeline event when authentication did not run', () => {
    expect(() => guard.canActivate(context('sync', 'r1', user('u1'), false).ctx)).toThrow(
      expect.objectContaining({ status: 500 }),
    );
    expect(events).toContainEqual(expect.objectContaining({ type: 'INTERNAL_ERROR', reason: 'pipeline_misordered' }));
  });

  it('answers 500 (not a pass) when the named parameter is missing (GraphQL args, unvalidated routes)', () => {
    expect(() => guard.canActivate(context('wrongParam', 'r1', user('u1')).ctx)).toThrow(
      expect.objectContaining({ status: 500 }),
    );
    expect(events).toContainEqual(expect.objectContaining({ reason: 'resource_param_missing' }));
  });

  it('builds refusals with authorization.exceptionFactory, not-owner and missing alike', () => {
    class TeapotError extends Error {}
    const denials: unknown[] = [];
    const custom = resolveSecurityOptions({
      events: { enabled: false },
      authorization: {
        resources: { record: { load: (id) => records.get(id) } },
        exceptionFactory: (denial) => {
          denials.push(denial);
          return new TeapotError(denial.code);
        },
      },
    });
    const customGuard = new OwnershipGuard(
      custom,
      new AuthorizationRegistry(custom, new Reflector(), new ModulesContainer(), new RoutePlanCache()),
      new SecurityEvents(custom),
    );
    expect(() => customGuard.canActivate(context('sync', 'r1', user('u9')).ctx)).toThrow(TeapotError);
    expect(() => customGuard.canActivate(context('sync', 'nope', user('u9')).ctx)).toThrow(TeapotError);
    expect(() => customGuard.canActivate(context('sync', 'r1', undefined).ctx)).toThrow(TeapotError);
    const [foreign, missing, anonymous] = denials;
    expect(foreign).toEqual(missing);
    expect(foreign).toEqual({
      status: 404,
      code: 'NOT_FOUND',
      message: 'Resource not found',
      rule: 'owns:record',
      resourceType: 'record',
    });
    expect(anonymous).toEqual({ status: 401, code: 'AUTHENTICATION_REQUIRED', message: 'Authentication required' });
  });

  it('does nothing (and needs nothing) on routes without resource rules', () => {
    expect(guard.canActivate(context('open', 'r1', undefined, false).ctx)).toBe(true);
    expect(roles.canActivate(context('open', 'r1', undefined, false).ctx)).toBe(true);
  });
});
