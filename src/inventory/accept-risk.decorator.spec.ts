import { AcceptRisk } from './accept-risk.decorator';
import { ACCEPT_RISK_KEY, INVENTORY_WARNING_CODES, InventoryWarningCode } from './inventory.constants';

describe('@AcceptRisk', () => {
  it('stores code and reason on the method, top-down, and on the class', () => {
    @AcceptRisk('RAMPART_GET_MUTATES', 'Legacy clients; removed in v3')
    class Controller {
      @AcceptRisk('RAMPART_POSSIBLE_BOLA', '  every user may read every item  ')
      @AcceptRisk('RAMPART_MASS_ASSIGNMENT', 'Body is forwarded verbatim to a vetted upstream')
      handler(): void {}
    }
    expect(Reflect.getMetadata(ACCEPT_RISK_KEY, Controller.prototype.handler)).toEqual([
      { code: 'RAMPART_POSSIBLE_BOLA', reason: 'every user may read every item' },
      { code: 'RAMPART_MASS_ASSIGNMENT', reason: 'Body is forwarded verbatim to a vetted upstream' },
    ]);
    expect(Reflect.getMetadata(ACCEPT_RISK_KEY, Controller)).toEqual([
      { code: 'RAMPART_GET_MUTATES', reason: 'Legacy clients; removed in v3' },
    ]);
  });

  it('refuses an unknown code, listing the known ones', () => {
    expect(() => AcceptRisk('RAMPART_BOLA' as InventoryWarningCode, 'why')).toThrow(
      /^SecurityModule: @AcceptRisk\(\) names the unknown warning code "RAMPART_BOLA"\. Use one of RAMPART_POSSIBLE_BOLA, /,
    );
  });

  it.each(['', '  ', 'ok', undefined as unknown as string])('refuses the reason %p', (reason) => {
    expect(() => AcceptRisk('RAMPART_GET_MUTATES', reason)).toThrow(
      /@AcceptRisk\('RAMPART_GET_MUTATES'\) needs a reason/,
    );
  });

  it('codes are stable and prefixed', () => {
    expect(INVENTORY_WARNING_CODES).toEqual([
      'RAMPART_POSSIBLE_BOLA',
      'RAMPART_MASS_ASSIGNMENT',
      'RAMPART_PUBLIC_MUTATION_NO_LIMIT',
      'RAMPART_ADMIN_PATH_NO_ROLES',
      'RAMPART_GET_MUTATES',
    ]);
    expect(InventoryWarningCode.POSSIBLE_BOLA).toBe('RAMPART_POSSIBLE_BOLA');
  });
});
