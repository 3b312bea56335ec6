import { SecurityConfigError } from '../core/errors/security-config.error';
import { resolveAuthorizationOptions } from './authorization.options';
import type { ResolveContext } from '../core/options/core.options';

const ctx: ResolveContext = { profile: 'development', isTrustedProxy: () => false };
const resolve = (value: unknown) => resolveAuthorizationOptions(value, ctx);

describe('resolveAuthorizationOptions', () => {
  it('defaults to admin ⊃ editor ⊃ viewer with flattened permissions', () => {
    const { roles, ownership, permissionsFromScopes, enabled } = resolve(undefined);
    expect(enabled).toBe(true);
    expect(permissionsFromScopes).toBe(false);
    expect([...roles.get('admin')!.roles].sort()).toEqual(['admin', 'editor', 'viewer']);
    expect([...roles.get('admin')!.permissions].sort()).toEqual(['admin', 'delete', 'read', 'write']);
    expect([...roles.get('editor')!.roles].sort()).toEqual(['editor', 'viewer']);
    expect([...roles.get('viewer')!.permissions]).toEqual(['read']);
    expect(ownership).toEqual({ ownerField: 'ownerId', notOwnerStatus: 404, overrideRoles: [] });
  });

  it('replaces the default hierarchy when roles are given and follows multi-level inheritance', () => {
    const { roles } = resolve({
      roles: {
        owner: { inherits: ['manager'] },
        manager: { permissions: ['docs:*'], inherits: ['user', 'auditor'] },
        user: { permissions: ['docs:read'] },
        auditor: { permissions: ['logs:read'] },
      },
    });
    expect(roles.has('admin')).toBe(false);
    expect([...roles.get('owner')!.roles].sort()).toEqual(['auditor', 'manager', 'owner', 'user']);
    expect([...roles.get('owner')!.permissions].sort()).toEqual(['docs:*', 'docs:read', 'logs:read']);
  });

  it('accepts null-prototype objects', () => {
    const roles = Object.create(null) as Record<string, unknown>;
    roles.viewer = { permissions: ['read'] };
    expect(resolve({ roles }).roles.has('viewer')).toBe(true);
  });

  it.each([
    [{ role: {} }, /authorization\.role is not a known option\. Did you mean "authorization\.roles"\?/],
    [{ roles: { a: { permission: [] } } }, /authorization\.roles\.a\.permission is not a known option/],
    [{ roles: { a: { inherits: ['b'] } } }, /authorization\.roles\.a\.inherits\[0\] names the unknown role "b"/],
    [{ roles: { a: { inherits: ['b'] }, b: { inherits: ['a'] } } }, /inherits itself \(a → b → a\)/],
    [{ roles: { a: { inherits: ['a'] } } }, /inherits itself/],
    [{ roles: { a: { permissions: ['docs:*:x'] } } }, /permissions\[0\] "docs:\*:x" is not a permission/],
    [{ roles: { a: { permissions: ['has space'] } } }, /is not a permission/],
    [{ roles: { a: { permissions: 'read' } } }, /must be an array of strings/],
    [{ roles: { a: { permissions: [''] } } }, /must be a non-empty string/],
    [{ roles: ['admin'] }, /authorization\.roles must be an object, got an array/],
    [{ enabled: 'yes' }, /authorization\.enabled must be true or false/],
    [{ resources: { doc: {} } }, /authorization\.resources\.doc\.load must be a function/],
    [{ resources: { doc: { load: (): number => 1, ownerField: 3 } } }, /ownerField must be a non-empty string/],
    [{ resources: { doc: { load: (): number => 1, getOwnerId: 'ownerId' } } }, /getOwnerId must be a function/],
    [{ policies: { p: true } }, /authorization\.policies\.p must be a function/],
    [{ exceptionFactory: 'json' }, /authorization\.exceptionFactory must be a function/],
    [{ ownership: { notOwnerStatus: 401 } }, /notOwnerStatus must be 403 or 404, got 401/],
    [{ ownership: { notOwnerStatus: '404' } }, /must be 403 or 404/],
    [{ ownership: { overrideRoles: ['root'] } }, /overrideRoles\[0\] names the unknown role "root"/],
    [{ ownership: { ownerFeild: 'x' } }, /Did you mean "authorization\.ownership\.ownerField"/],
  ])('refuses %j', (value, message) => {
    expect(() => resolve(value)).toThrow(SecurityConfigError);
    expect(() => resolve(value)).toThrow(message);
  });

  it('keeps loaders and policies as given (class instances included)', () => {
    class Loader {
      load(id: string) {
        return { id };
      }
    }
    const loader = new Loader();
    const policy = () => true;
    const resolved = resolve({ resources: { doc: loader }, policies: { p: policy } });
    expect(resolved.resources.get('doc')).toBe(loader);
    expect(resolved.policies.get('p')).toBe(policy);
  });
});
