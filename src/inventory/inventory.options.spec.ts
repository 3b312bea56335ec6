import { resolveSecurityOptions } from '../security.options';
import { resolveInventoryOptions } from './inventory.options';

const ctx = { profile: 'development' as const, isTrustedProxy: () => false };

describe('resolveInventoryOptions', () => {
  it('defaults: enabled, printed, no file, never fails', () => {
    expect(resolveInventoryOptions(undefined, ctx)).toEqual({
      enabled: true,
      printTable: true,
      file: undefined,
      failOn: 'never',
    });
    expect(resolveInventoryOptions(Object.create(null), ctx).failOn).toBe('never');
  });

  it('is reachable from the module options', () => {
    expect(resolveSecurityOptions({ inventory: { failOn: 'warning', file: 'out/inventory.json' } }).inventory).toEqual({
      enabled: true,
      printTable: true,
      file: 'out/inventory.json',
      failOn: 'warning',
    });
  });

  it.each([
    [[], /^SecurityModule: inventory must be an object, got an array/],
    [
      { failOn: 'warnings' },
      /inventory\.failOn must be one of "warning", "never", got "warnings"\. Did you mean "warning"\?/,
    ],
    [{ failOn: true }, /inventory\.failOn must be one of/],
    [{ printtable: false }, /inventory\.printtable is not a known option\. Did you mean "inventory\.printTable"\?/],
    [{ enabled: 'yes' }, /inventory\.enabled must be true or false, got a string/],
    [{ file: '' }, /inventory\.file must be a non-empty string/],
    [{ file: 'a\nb' }, /inventory\.file contains a control character/],
  ])('refuses %p', (value, message) => {
    expect(() => resolveInventoryOptions(value, ctx)).toThrow(message);
  });

  it('refuses a typo of the section name with a hint', () => {
    expect(() => resolveSecurityOptions({ inventroy: {} } as never)).toThrow(/Did you mean "inventory"\?/);
  });
});
