import type { ExecutionContext } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Expose } from 'class-transformer';
import { takeGraphqlFilter, takeResponseFilter } from '../core/context/pending-response-filter.util';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import { SecurityEvents } from '../core/events/security-events.service';
import { resolveSecurityOptions, type SecurityModuleOptions } from '../security.options';
import { AllowSensitiveFields } from './allow-sensitive-fields.decorator';
import { ResponseFilterGuard } from './response-filter.guard';
import { Serialize } from './serialize.decorator';

class Item {
  @Expose() id!: string;
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
  return new ResponseFilterGuard(
    resolved,
    new Reflector(),
    new SecurityEvents(resolved),
    new ModulesContainer(),
    new RoutePlanCache(),
  );
}

/** An Express-like response whose `json` records what it was given. */
function expressResponse(req: object) {
  const sent: unknown[] = [];
  const proto = { json: (body: unknown) => sent.push(body) };
  const res = Object.create(proto) as { req: object; json(body: unknown): unknown };
  res.req = req;
  return { res, sent };
}

function httpContext(handler: keyof Controller, req: object, res: unknown): ExecutionContext {
  const host = new ExecutionContextHost([req, res], Controller, Controller.prototype[handler]);
  host.setType('http');
  return host;
}

const BODY = { id: '1', token: 't', password: 'p', nested: { secret: 's', ok: true } };

describe('ResponseFilterGuard', () => {
  it('never refuses, and records the filter the response is sent through once', () => {
    const req = { headers: {} };
    const { res, sent } = expressResponse(req);
    expect(setup().canActivate(httpContext('plain', req, res))).toBe(true);
    res.json(BODY);
    res.json(BODY);
    expect(sent).toEqual([{ id: '1', nested: { ok: true } }, BODY]);
  });

  it.each([
    ['allowed', { id: '1', token: 't', nested: { ok: true } }],
    ['shaped', { id: '1' }],
  ] as const)('applies the route plan of %s', (handler, expected) => {
    const req = { headers: {} };
    const { res, sent } = expressResponse(req);
    setup().canActivate(httpContext(handler, req, res));
    res.json(BODY);
    expect(sent).toEqual([expected]);
  });

  it('records nothing when the denylist is empty and the route has no DTO', () => {
    const req = { headers: {} };
    const { res } = expressResponse(req);
    setup({ responseFiltering: { denylist: [] } }).canActivate(httpContext('plain', req, res));
    expect(takeResponseFilter(req)).toBeUndefined();
  });

  it('records the filter of each GraphQL resolver call (root field and field resolver) under its resolve info', () => {
    const req = { headers: {} };
    const root = { path: { key: 'item', prev: undefined } };
    const below = { path: { key: 'owner', prev: root.path } };
    const guard = setup();
    for (const info of [root, below]) {
      const host = new ExecutionContextHost([{}, {}, { req }, info], Controller, Controller.prototype.plain);
      host.setType('graphql');
      expect(guard.canActivate(host)).toBe(true);
    }
    for (const info of [root, below]) {
      const filter = takeGraphqlFilter(req, info);
      expect(filter?.apply(BODY, req)).toEqual({ id: '1', nested: { ok: true } });
      expect(filter?.denies('password')).toBe(true);
      expect(filter?.denies('name')).toBe(false);
      // Applied once: taken, it is gone.
      expect(takeGraphqlFilter(req, info)).toBeUndefined();
    }
  });
});
