import { SecurityConfigError } from '../core/errors/security-config.error';
import { ACCEPT_RISK_KEY, INVENTORY_WARNING_CODES, type InventoryWarningCode } from './inventory.constants';

/** What one `@AcceptRisk()` stores. @internal */
export interface AcceptRiskMetadata {
  code: InventoryWarningCode;
  reason: string;
}

/**
 * Silences one inventory warning on this route (or on every route of a controller) after a
 * review, and keeps the reason in the inventory (`acceptedRisks`). It silences nothing else: a
 * second code needs its own `@AcceptRisk()`. An unknown code or an empty reason fails when the
 * class is defined.
 *
 * @example
 * ```ts
 * @Roles('admin')
 * @AcceptRisk('RAMPART_POSSIBLE_BOLA', 'Admins may read every user by design')
 * @Get('users/:id')
 * getUser(@Param('id') id: string) {}
 * ```
 * @throws {SecurityConfigError} unknown code, or a reason shorter than 3 characters
 * @publicApi
 */
export function AcceptRisk(code: InventoryWarningCode, reason: string): MethodDecorator & ClassDecorator {
  if (!INVENTORY_WARNING_CODES.includes(code)) {
    throw SecurityConfigError.create(
      '@AcceptRisk()',
      `names the unknown warning code "${String(code)}"`,
      `Use one of ${INVENTORY_WARNING_CODES.join(', ')}`,
    );
  }
  if (typeof reason !== 'string' || reason.trim().length < 3) {
    throw SecurityConfigError.create(
      `@AcceptRisk('${code}')`,
      'needs a reason',
      'Say why the risk is acceptable, e.g. "admins may read every user"',
    );
  }
  const entry: AcceptRiskMetadata = { code, reason: reason.trim() };
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder = (descriptor?.value ?? target) as object;
    const existing = (Reflect.getOwnMetadata(ACCEPT_RISK_KEY, holder) as AcceptRiskMetadata[] | undefined) ?? [];
    // Decorators apply bottom-up: prepend so the list reads top-down.
    Reflect.defineMetadata(ACCEPT_RISK_KEY, [entry, ...existing], holder);
  };
}
