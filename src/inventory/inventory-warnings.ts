import type { ResolvedSecurityOptions } from '../security.options';
import { InventoryWarningCode } from './inventory.constants';
import type { InventoryRoute } from './inventory.interface';
import type { RouteFacts } from './route-protections.reader';

/** Path parameters that name one object: `id`, `uuid`, `slug`, `key`, or `…Id` / `…_id`. */
const ID_PARAM = /^(id|uuid|guid|slug|key)$|(Id|ID|_id|Uuid|_uuid)$/;
/** Path segments of administration or internal surfaces. */
const ADMIN_SEGMENT =
  /^(admin|administration|administrator|internal|_internal|management|manage|backoffice|back-office|ops|staff|superuser|sudo|debug|private)$/i;
/** Handler names that say the route changes state (`deleteUser`, `resetPassword`, `logout`). */
const MUTATING_NAME =
  /^(create|update|delete|remove|destroy|reset|revoke|approve|reject|cancel|purge|add|insert|upsert|modify|change|grant|disable|enable|activate|deactivate|archive|restore|transfer|pay|charge|send|submit|execute|trigger|import|logout|logOut|signout|signOut|unsubscribe|subscribe|set)(?=[A-Z_0-9]|$)/;
const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'ALL']);

type Check = (entry: InventoryRoute, facts: RouteFacts, options: ResolvedSecurityOptions) => string | undefined;

/**
 * The risk checks, one per warning code. Each returns the warning's message (what was found and
 * how to fix it) or undefined. They read the inventory entry, so they judge what is in force,
 * not what is declared: an `@Owns()` under disabled authorization protects nothing.
 */
const CHECKS: ReadonlyArray<[InventoryWarningCode, Check]> = [
  [
    InventoryWarningCode.POSSIBLE_BOLA,
    (entry, facts, options) => {
      if (entry.public || entry.authentication.length === 0) return undefined;
      const graphql = entry.kind === 'graphql';
      const ids = (graphql ? facts.route.args : facts.pathParams).filter((p) => ID_PARAM.test(p));
      if (ids.length === 0 || entry.ownership || entry.policies.length > 0) return undefined;
      const why =
        facts.declaresResourceRules && !options.authorization.enabled
          ? 'its @Owns()/@Policy() is not enforced because authorization is disabled'
          : 'no @Owns() or @Policy() checks that the caller may access it';
      const takes = graphql ? `the argument${ids.length > 1 ? 's' : ''} ${ids.join(', ')}` : `:${ids.join(', :')}`;
      return `authenticated ${graphql ? 'resolver' : 'route'} takes ${takes} but ${why} (broken object level authorization). Add @Owns('<resource>', { param: '${ids[0]}' }) or @Policy(), or @AcceptRisk('${InventoryWarningCode.POSSIBLE_BOLA}', '<why>') if every caller may read every object`;
    },
  ],
  [
    InventoryWarningCode.MASS_ASSIGNMENT,
    (entry, facts, options) => {
      const body = facts.wholeBody;
      // A verified webhook's body comes from the authenticated sender, not from API clients.
      if (!body || entry.webhook) return undefined;
      if (entry.bodyDto === null) {
        return 'reads the whole body without a DTO class (typed as an object, interface, any or unknown): every property the client sends reaches the handler. Type the @Body() parameter with a class-validator DTO';
      }
      if (!options.validation.enabled) {
        return `body DTO ${entry.bodyDto} is not validated (validation is disabled): unknown properties reach the handler. Enable validation`;
      }
      if (!options.validation.whitelist) {
        return `body DTO ${entry.bodyDto} keeps unknown properties (validation.whitelist is false). Set validation.whitelist (and forbidNonWhitelisted) to true`;
      }
      return undefined;
    },
  ],
  [
    InventoryWarningCode.PUBLIC_MUTATION_NO_LIMIT,
    (entry, facts) => {
      if (!entry.public || !MUTATING_METHODS.has(entry.method) || entry.signed || entry.webhook) return undefined;
      if (facts.routeScopedLimit) return undefined;
      const shared = entry.rateLimits.length > 0 ? 'only the module-wide rate limits apply' : 'no rate limit applies';
      return `public ${entry.method} route changes state and ${shared}. Add a stricter @RateLimit({ default: { limit: 10, windowSeconds: 60 } }) (or @LoginRateLimit() on a login route)`;
    },
  ],
  [
    InventoryWarningCode.ADMIN_PATH_NO_ROLES,
    (entry) => {
      const segment = entry.path.split('/').find((s) => ADMIN_SEGMENT.test(s));
      if (!segment || entry.signed || entry.webhook) return undefined;
      if (entry.roles.length > 0 || entry.permissions.length > 0 || entry.scopes.length > 0) return undefined;
      const who = entry.public ? 'is public' : 'admits every authenticated caller';
      return `path looks like an administration surface ("${segment}") but ${who}: no role, permission or scope is required. Add @Roles('admin') (or @Permissions()/@Scopes())`;
    },
  ],
  [
    InventoryWarningCode.GET_MUTATES,
    (entry, facts) => {
      if (entry.method === 'ALL') {
        return '@All() answers GET with the same handler as POST, PUT and DELETE: a link, an <img> or a prefetch can trigger the change. Declare the methods separately (@Get() and @Post()…)';
      }
      if (entry.method !== 'GET' && entry.method !== 'HEAD') return undefined;
      const signs: string[] = [];
      if (facts.route.bodyParams.length > 0) signs.push('reads a @Body()');
      if (MUTATING_NAME.test(entry.handler)) signs.push(`its handler is named ${entry.handler}()`);
      if (signs.length === 0) return undefined;
      return `${entry.method} route looks like it changes state (${signs.join(', ')}): GET must be safe (links, prefetchers and caches call it freely, CSRF defences skip it). Use @Post(), @Patch() or @Delete()`;
    },
  ],
];

/**
 * Runs every check on one route: found warnings go to `warnings`, unless an `@AcceptRisk()` with
 * the same code silences them, in which case the reason goes to `acceptedRisks`.
 *
 * @internal
 */
export function applyWarnings(entry: InventoryRoute, facts: RouteFacts, options: ResolvedSecurityOptions): void {
  for (const [code, check] of CHECKS) {
    const message = check(entry, facts, options);
    if (message === undefined) continue;
    const accepted = facts.accepted.find((a) => a.code === code);
    if (accepted) entry.acceptedRisks.push({ code, reason: accepted.reason });
    else entry.warnings.push({ code, message });
  }
}
