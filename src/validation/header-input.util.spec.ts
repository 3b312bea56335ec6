import { headerNameOf } from './header-input.util';

describe('headerNameOf', () => {
  it.each([
    ['xApiVersion', 'x-api-version'],
    ['tenantId', 'tenant-id'],
    ['authorization', 'authorization'],
    ['XTenantId', 'x-tenant-id'],
    ['x-api-version', 'x-api-version'],
    ['X-Tenant-ID', 'x-tenant-id'],
    ['x_legacy_header', 'x_legacy_header'],
  ])('%s reads the %s header', (property, header) => {
    expect(headerNameOf(property)).toBe(header);
  });
});
