import type { ExecutionContext } from '@nestjs/common';
import { RoutePlanCache, type RouteClass, type RouteHandler } from './route-plan.cache';

abstract class CrudController {
  find() {}
  remove() {}
}
class UsersController extends CrudController {}
class AdminsController extends CrudController {}

/** Compiles `<class>.<handler>` and counts the calls. */
function counting() {
  const calls: string[] = [];
  const compile = (cls: RouteClass, handler: RouteHandler) => {
    calls.push(`${cls.name}.${handler.name}`);
    return { route: `${cls.name}.${handler.name}` };
  };
  return { calls, compile };
}

function context(cls: RouteClass, handler: RouteHandler): ExecutionContext {
  return { getClass: () => cls, getHandler: () => handler } as unknown as ExecutionContext;
}

describe('RoutePlanCache', () => {
  it('keys plans by controller class AND handler: an inherited method gets one plan per subclass', () => {
    const { calls, compile } = counting();
    const plans = new RoutePlanCache().slot(compile);
    const find = CrudController.prototype.find;
    expect(UsersController.prototype.find).toBe(find);
    expect(plans.get(UsersController, find)).toEqual({ route: 'UsersController.find' });
    expect(plans.get(AdminsController, find)).toEqual({ route: 'AdminsController.find' });
    expect(plans.get(UsersController, CrudController.prototype.remove)).toEqual({ route: 'UsersController.remove' });
    expect(calls).toEqual(['UsersController.find', 'AdminsController.find', 'UsersController.remove']);
  });

  it('computes each plan once, also through an execution context', () => {
    const { calls, compile } = counting();
    const plans = new RoutePlanCache().slot(compile);
    const first = plans.of(context(AdminsController, CrudController.prototype.find));
    expect(plans.get(AdminsController, CrudController.prototype.find)).toBe(first);
    expect(plans.of(context(AdminsController, CrudController.prototype.find))).toBe(first);
    expect(calls).toEqual(['AdminsController.find']);
  });

  it('caches a null plan ("nothing to do") instead of computing it again', () => {
    const compile = jest.fn(() => null);
    const plans = new RoutePlanCache().slot(compile);
    expect(plans.get(UsersController, CrudController.prototype.find)).toBeNull();
    expect(plans.get(UsersController, CrudController.prototype.find)).toBeNull();
    expect(compile).toHaveBeenCalledTimes(1);
  });

  it('gives every feature a slot of its own on the same route', () => {
    const cache = new RoutePlanCache();
    const signing = cache.slot(() => ({ feature: 'signing' }));
    const headers = cache.slot(() => ({ feature: 'headers' }));
    const flag = cache.slot(() => false);
    const find = CrudController.prototype.find;
    expect(signing.get(UsersController, find)).toEqual({ feature: 'signing' });
    expect(headers.get(UsersController, find)).toEqual({ feature: 'headers' });
    expect(flag.get(UsersController, find)).toBe(false);
    expect(signing.get(UsersController, find)).toEqual({ feature: 'signing' });
  });

  it('keeps nothing when the compiler throws: the next lookup compiles again', () => {
    let fail = true;
    const plans = new RoutePlanCache().slot(() => {
      if (fail) throw new Error('metadata not ready');
      return { ok: true };
    });
    expect(() => plans.get(UsersController, CrudController.prototype.find)).toThrow('metadata not ready');
    fail = false;
    expect(plans.get(UsersController, CrudController.prototype.find)).toEqual({ ok: true });
  });

  it('shares nothing between two caches (one per application)', () => {
    const one = counting();
    const two = counting();
    new RoutePlanCache().slot(one.compile).get(UsersController, CrudController.prototype.find);
    new RoutePlanCache().slot(two.compile).get(UsersController, CrudController.prototype.find);
    expect(one.calls).toEqual(['UsersController.find']);
    expect(two.calls).toEqual(['UsersController.find']);
  });
});
