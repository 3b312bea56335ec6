import type { InventoryWarningCode } from './inventory.constants';

/**
 * One rate-limit policy in force on a route. `by` says what the budget is counted per: the client
 * IP, the authenticated principal, or (login limiter) the IP and the submitted username, the
 * username from any IP (`login.username`) or the IP across usernames (`login.ip`).
 *
 * @publicApi
 */
export interface InventoryRateLimit {
  policy: string;
  limit: number;
  windowSec: number;
  by: 'ip' | 'principal' | 'ip+username' | 'username';
}

/** A risk found on a route. @publicApi */
export interface InventoryWarning {
  code: InventoryWarningCode;
  message: string;
}

/** A warning silenced with `@AcceptRisk()`, and why. @publicApi */
export interface InventoryAcceptedRisk {
  code: InventoryWarningCode;
  reason: string;
}

/**
 * One route (HTTP) or operation (GraphQL) and what protects it. JSON-serialisable: this is what
 * the inventory file holds and what `rampart scan --inventory` reads.
 *
 * @publicApi
 */
export interface InventoryRoute {
  /** `"GET /documents/:id"`, or `"query user"` / `"field User.email"` for GraphQL. Unique within an inventory. */
  id: string;
  kind: 'http' | 'graphql';
  /** HTTP method (`ALL` for `@All()`), or `query` / `mutation` / `subscription` / `field` (a `@ResolveField`). */
  method: string;
  /** Path the route is served at (`:param` syntax; global prefix and URI version included), or the GraphQL field name (`Parent.field` for field resolvers). */
  path: string;
  controller: string;
  handler: string;
  /** The controller's source file relative to the working directory, when known; else null. */
  source: string | null;
  public: boolean;
  /** Authentication methods accepted; `[]` when public or when authentication is disabled. */
  authentication: string[];
  roles: string[];
  permissions: string[];
  scopes: string[];
  /** The first `@Owns()` rule in force, or null. */
  ownership: { resource: string; param: string } | null;
  /** Names of the `@Policy()` rules in force. */
  policies: string[];
  rateLimits: InventoryRateLimit[];
  idempotent: boolean;
  /** Requires an HMAC request signature (`@Signed()` or `signing.paths`). */
  signed: boolean;
  /** Webhook verification (`@VerifyWebhook()`), or null. */
  webhook: { scheme: string } | null;
  /** `@Deprecated()`: the sunset as an ISO-8601 instant and the migration link, or null. */
  deprecated: { sunset: string; link: string | null } | null;
  /** Class name of the `@Body()` DTO, or null when the route reads no DTO-typed body. */
  bodyDto: string | null;
  /** Class name of the `@Serialize()` response DTO, or null. */
  responseFilter: string | null;
  warnings: InventoryWarning[];
  acceptedRisks: InventoryAcceptedRisk[];
}

/** The whole inventory, as written to `inventory.file`. @publicApi */
export interface InventoryDocument {
  format: 'nestjs-rampart.inventory';
  version: 1;
  routes: InventoryRoute[];
}
