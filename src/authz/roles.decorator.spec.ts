import { PERMISSIONS_KEY, ROLES_KEY } from './authorization.constants';
import { Permissions, Roles } from './roles.decorator';

describe('@Roles / @Permissions', () => {
  it('write their requirement on a property (a GraphQL object field), not on the prototype', () => {
    class Model {
      @Roles('admin', 'editor')
      email?: string;

      @Permissions({ any: ['a:read', 'b:read'] })
      score?: number;
    }
    expect(Reflect.getMetadata(ROLES_KEY, Model.prototype, 'email')).toEqual({
      match: 'any',
      values: ['admin', 'editor'],
    });
    expect(Reflect.getMetadata(PERMISSIONS_KEY, Model.prototype, 'score')).toEqual({
      match: 'any',
      values: ['a:read', 'b:read'],
    });
    expect(Reflect.getMetadata(ROLES_KEY, Model.prototype)).toBeUndefined();
    expect(Reflect.getMetadata(ROLES_KEY, Model)).toBeUndefined();
  });

  it('still write on the handler and the class', () => {
    @Roles('admin')
    class Controller {
      @Permissions('x:write')
      handler(): void {}
    }
    expect(Reflect.getMetadata(ROLES_KEY, Controller)).toEqual({ match: 'any', values: ['admin'] });
    expect(Reflect.getMetadata(PERMISSIONS_KEY, Controller.prototype.handler)).toEqual({
      match: 'all',
      values: ['x:write'],
    });
  });
});
