/** Metadata key written by `@AcceptRisk()` (a list, class entries first). @publicApi */
export const ACCEPT_RISK_KEY = 'security:accept-risk';

/** `format` of the route inventory JSON. @publicApi */
export const INVENTORY_FORMAT = 'nestjs-rampart.inventory';

/** `version` of the route inventory JSON this release writes. @publicApi */
export const INVENTORY_VERSION = 1;

/**
 * The stable codes of the route inventory's risk warnings. A code never changes meaning; new
 * checks get new codes.
 *
 * @publicApi
 */
export const InventoryWarningCode = {
  /** An authenticated route with an id-like path parameter and no `@Owns()` / `@Policy()` in force. */
  POSSIBLE_BOLA: 'RAMPART_POSSIBLE_BOLA',
  /** A body without a DTO class, or a DTO whose unknown properties would reach the handler. */
  MASS_ASSIGNMENT: 'RAMPART_MASS_ASSIGNMENT',
  /** A public route that changes state with no rate limit stricter than the module-wide one. */
  PUBLIC_MUTATION_NO_LIMIT: 'RAMPART_PUBLIC_MUTATION_NO_LIMIT',
  /** An admin- or internal-looking path that requires no role, permission or scope. */
  ADMIN_PATH_NO_ROLES: 'RAMPART_ADMIN_PATH_NO_ROLES',
  /** A route answering GET (or HEAD) that looks like it changes state. */
  GET_MUTATES: 'RAMPART_GET_MUTATES',
} as const;

/** One of {@link InventoryWarningCode}'s values. @publicApi */
export type InventoryWarningCode = (typeof InventoryWarningCode)[keyof typeof InventoryWarningCode];

/** Every warning code, in documentation order. @internal */
export const INVENTORY_WARNING_CODES: readonly InventoryWarningCode[] = Object.values(InventoryWarningCode);
