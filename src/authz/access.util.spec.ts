import type { Principal } from '../core/context/principal.interface';
import { resolveAuthorizationOptions } from './authorization.options';
import { ownsValue, permissionCandidates, principalHasGrant, principalHasRole, principalHasRoles } from './access.util';

const options = resolveAuthorizationOptions(
  {
    permissionsFromScopes: true,
    roles: {
      admin: { permissions: ['*'], inherits: ['editor'] },
      editor: { permissions: ['docs:*'], inherits: ['viewer'] },
      viewer: { permissions: ['docs:read'] },
    },
  },
  { profile: 'development', isTrustedProxy: () => false },
);
const principal = (roles: string[], scopes: string[] = []): Principal => ({
  type: 'user',
  id: 'u1',
  roles,
  scopes,
  claims: {},
});

describe('access utilities', () => {
  it.each([
    ['documents:delete', ['documents:delete', 'documents:*', '*']],
    ['a:b:c', ['a:b:c', 'a:b:*', 'a:*', '*']],
    ['read', ['read', '*']],
    ['*', ['*']],
  ])('permissionCandidates(%s)', (permission, expected) => {
    expect(permissionCandidates(permission)).toEqual(expected);
  });

  it.each([
    [['admin'], 'viewer', true],
    [['editor'], 'admin', false],
    [['viewer'], 'viewer', true],
    [['unknown'], 'unknown', false],
    [[], 'viewer', false],
  ])('roles %j have role %s: %s', (roles, role, expected) => {
    expect(principalHasRole(principal(roles), role, options)).toBe(expected);
  });

  it('matches any/all role requirements', () => {
    expect(principalHasRoles(principal(['viewer']), ['admin', 'viewer'], 'any', options)).toBe(true);
    expect(principalHasRoles(principal(['viewer']), ['admin', 'viewer'], 'all', options)).toBe(false);
    expect(principalHasRoles(principal(['admin']), ['editor', 'viewer'], 'all', options)).toBe(true);
  });

  it.each([
    [['viewer'], [], 'docs:read', true],
    [['viewer'], [], 'docs:write', false],
    [['editor'], [], 'docs:write', true], // docs:*
    [['admin'], [], 'billing:refund', true], // *
    [[], ['billing:refund'], 'billing:refund', true], // scope
    [[], ['billing:*'], 'billing:refund', true], // wildcard scope
    [[], ['billing:read'], 'billing:refund', false],
  ])('roles %j scopes %j grant %s: %s', (roles, scopes, permission, expected) => {
    expect(principalHasGrant(principal(roles, scopes), permissionCandidates(permission), options)).toBe(expected);
  });

  it('ignores scopes when permissionsFromScopes is off (the default)', () => {
    const off = { ...options, permissionsFromScopes: false };
    expect(principalHasGrant(principal([], ['docs:read']), permissionCandidates('docs:read'), off)).toBe(false);
  });

  it.each([
    ['u1', true],
    ['u2', false],
    ['', false],
    [1, false],
    [['u2', 'u1'], true],
    [[['u1']], false],
    [undefined, false],
    [null, false],
    [{ id: 'u1' }, false],
  ])('ownsValue(%j, "u1") is %s', (owner, expected) => {
    expect(ownsValue(owner, 'u1')).toBe(expected);
  });

  it('compares numeric owner ids as strings', () => {
    expect(ownsValue(42, '42')).toBe(true);
  });
});
