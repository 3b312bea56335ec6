import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { Expose } from 'class-transformer';
import { lastValueFrom, of } from 'rxjs';
import type { Principal } from '../core/context/principal.interface';
import { getSecurityState } from '../core/context/request-state';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import { SecurityEvents } from '../core/events/security-events.service';
import { resolveSecurityOptions } from '../security.options';
import type { SecurityModuleOptions } from '../security.options';
import { AllowSensitiveFields } from './allow-sensitive-fields.decorator';
import { ResponseFilterInterceptor } from './response-filter.interceptor';
import { Serialize } from './serialize.decorator';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';

class Item {
  @Expose() id!: string;
  @Expose({ groups: ['editor'] }) draft!: string;
}

class Controller {
  plain() {}
  @AllowSensitiveFields('token')
  allowed() {}
  @Serialize(Item)
  shaped() {}
}

function setup(options: SecurityModuleOptions = {}) {
  const resolved = resolveSecurityOptions({ events: { logger: false }, ...options });
  return new ResponseFilterInterceptor(
    resolved,
    new Reflector(),
    new SecurityEvents(resolved),
    new ModulesContainer(),
    new RoutePlanCache(),
  );
}

function context(handler: keyof Controller, type = 'http', principal?: Principal): ExecutionContext {
  const req = { headers: {} };
  if (principal) getSecurityState(req).principal = principal;
  const ctx = new ExecutionContextHost(
    [req, {}],
    Controller,
    Controller.prototype[handler] as (...args: unknown[]) => unknown,
  );
  ctx.setType(type);
  return ctx;
}

const run = (interceptor: ResponseFilterInterceptor, ctx: ExecutionContext, body: unknown) =>
  lastValueFrom(interceptor.intercept(ctx, { handle: () => of(body) } as CallHandler));

describe('ResponseFilterInterceptor', () => {
  const body = { id: '1', token: 't', password: 'p', draft: 'd' };

  it('strips the denylist from plain responses', async () => {
    expect(await run(setup(), context('plain'), body)).toEqual({ id: '1', draft: 'd' });
  });

  it('lets only the named fields through on @AllowSensitiveFields routes', async () => {
    expect(await run(setup(), context('allowed'), body)).toEqual({ id: '1', token: 't', draft: 'd' });
  });

  it('uses the configured list', async () => {
    expect(await run(setup({ responseFiltering: { denylist: ['draft'] } }), context('plain'), body)).toEqual({
      id: '1',
      token: 't',
      password: 'p',
    });
  });

  it('passes the same object through when the denylist is empty', async () => {
    const interceptor = setup({ responseFiltering: { denylist: [] } });
    expect(await run(interceptor, context('plain'), body)).toBe(body);
  });

  it('leaves non-HTTP contexts alone', async () => {
    expect(await run(setup(), context('plain', 'rpc'), body)).toBe(body);
  });

  it('maps roles (with inherited roles) to groups for @Serialize', async () => {
    const interceptor = setup();
    const admin: Principal = { type: 'user', id: 'a', roles: ['admin'], scopes: [], claims: {} };
    expect(await run(interceptor, context('shaped', 'http', admin), body)).toEqual({ id: '1', draft: 'd' });
    expect(await run(interceptor, context('shaped'), body)).toEqual({ id: '1' });
    const noGroups = setup({ responseFiltering: { rolesAsGroups: false } });
    expect(await run(noGroups, context('shaped', 'http', admin), body)).toEqual({ id: '1' });
  });
});
