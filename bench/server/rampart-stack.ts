import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import {
  ApiKeyService,
  Idempotent,
  Owns,
  Public,
  Roles,
  SecurityModule,
  type SecurityModuleOptions,
} from 'nestjs-rampart';
import { onlyFeatures } from '../../test/fixtures/only-features';
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, USER_ID } from '../lib/fixtures';
import type { ScenarioDef } from '../lib/scenarios';
import { BenchDataService, type RouteDecorators } from './routes';
import { controllerFor, type BuildContext, type StackBuild } from './stack';

/**
 * The rampart stack: the same routes behind `SecurityModule.forRoot(...)`, with the library's
 * decorators and services imported like any application does. Options the module refuses fail
 * the app's boot, which the server reports as an `error` cell with the reason.
 */

/** Every request of the benchmark comes from one IP, so limits are set where they never trip. */
const NEVER_TRIPS = { maxRequests: 1_000_000_000, windowSeconds: 60 };
const JWT = { secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE };
/** A fixed pepper for API-key hashing (benchmark only). */
const API_KEY_PEPPER = 'bench-only-api-key-pepper-0123456789abcdef0123456789';

/** The one data service instance, shared by the controllers and the ownership loader. */
const data = new BenchDataService();
const documentLoader = { load: (id: string) => data.document(id) };

/** Counts events like a log shipper would receive them (serialised), without I/O. */
let eventBytes = 0;
const countingSink = (event: unknown): void => {
  eventBytes += JSON.stringify(event).length;
};

interface RampartPlan {
  options: SecurityModuleOptions;
  route: RouteDecorators;
  /** Runs after init: returns headers to send (e.g. an API key the library issued). */
  afterInit?: (app: INestApplication) => Promise<Record<string, string>>;
}

function planFor(scenario: ScenarioDef, ctx: BuildContext): RampartPlan {
  const storage: SecurityModuleOptions['storage'] = scenario.redis
    ? { type: 'redis', url: ctx.redisUrl, keyPrefix: `bench-${ctx.adapter}-${scenario.id}:` }
    : { type: 'memory' };
  const base = onlyFeatures({ storage });
  switch (scenario.id) {
    case 'public-get':
      // The module with its defaults (headers, validation, ...) and JWT configured; the route is public.
      return {
        options: { storage, events: { logger: false }, auth: { jwt: JWT }, rateLimit: NEVER_TRIPS },
        route: { method: [Public()] },
      };
    case 'jwt-get':
    case 'jwt-get-cold':
      return { options: { ...base, auth: { jwt: JWT } }, route: {} };
    case 'jwt-role-owner-get':
      return {
        options: {
          ...base,
          auth: { jwt: JWT },
          authorization: { roles: { user: { permissions: ['read'] } }, resources: { document: documentLoader } },
        },
        route: { method: [Roles('user'), Owns('document', { param: 'id' })] },
      };
    case 'redis-rate-get':
      return { options: { ...base, rateLimit: NEVER_TRIPS }, route: {} };
    case 'validated-post':
      return { options: { ...base, validation: {} }, route: {} };
    case 'idempotent-replay':
    case 'idempotent-first': {
      // A new key per request keeps one record per key for `ttlSeconds`: the default idempotency
      // partition (20,000 records) is full after a few seconds of load and then fails closed
      // (503), so the benchmark gives the memory store room for every key of the run.
      const room: SecurityModuleOptions['storage'] = scenario.redis
        ? storage
        : { type: 'memory', maxEntries: 2_000_000, partitions: { idempotency: 1_000_000 } };
      return {
        options: { ...onlyFeatures({ storage: room }), idempotency: {} },
        route: { method: [Idempotent()] },
      };
    }
    case 'api-key-get':
      return {
        options: { ...base, auth: { apiKeys: { pepper: API_KEY_PEPPER }, defaultMethods: ['api-key'] } },
        route: {},
        afterInit: async (app) => {
          const created = await app.get(ApiKeyService).create({ ownerId: USER_ID, name: 'bench' });
          return { 'x-api-key': created.key };
        },
      };
    case 'full-memory':
    case 'full-redis':
      // Everything a user gets by default, plus: rate limit, JWT, roles, events to a sink.
      return {
        options: {
          storage,
          events: { enabled: true, logger: false, sinks: [countingSink] },
          rateLimit: NEVER_TRIPS,
          auth: { jwt: JWT },
          authorization: { roles: { user: { permissions: ['read'] } } },
        },
        route: { method: [Roles('user')] },
      };
    case 'graphql-query':
      throw new Error('GraphQL scenarios are served by graphql-stack.ts');
    default: {
      const never: never = scenario.id;
      throw new Error(`unknown scenario ${String(never)}`);
    }
  }
}

/**
 * `SecurityModule.forRoot(options)`. For cost experiments only, `BENCH_RAMPART_DROP_INTERCEPTORS=1`
 * removes the module's global interceptors (right for scenarios whose interceptor features are all
 * disabled, where they are no-ops): it shows what those no-ops cost per request.
 * `BENCH_RAMPART_NO_HEADERS=1` turns the security header preset off (`headers.enabled: false`):
 * what the preset's headers cost to set, validate and send.
 */
function securityModule(options: SecurityModuleOptions): DynamicModule {
  if (process.env.BENCH_RAMPART_NO_HEADERS === '1')
    options = { ...options, headers: { ...options.headers, enabled: false } };
  const module: DynamicModule = SecurityModule.forRoot(options);
  if (process.env.BENCH_RAMPART_DROP_INTERCEPTORS !== '1') return module;
  const isInterceptor = (p: unknown): boolean =>
    typeof p === 'object' && p !== null && (p as { provide?: unknown }).provide === APP_INTERCEPTOR;
  return { ...module, providers: (module.providers ?? []).filter((p) => !isInterceptor(p)) };
}

/** Builds the rampart app for one scenario. */
export function buildRampart(scenario: ScenarioDef, ctx: BuildContext): StackBuild {
  const plan = planFor(scenario, ctx);

  @Module({
    imports: [securityModule(plan.options)],
    controllers: [controllerFor(scenario, plan.route)],
    providers: [{ provide: BenchDataService, useValue: data }],
  })
  class RampartBenchModule {}

  return { status: 'ok', module: RampartBenchModule, afterInit: plan.afterInit };
}

/** Bytes of events the full-pipeline sink received (reported on shutdown). */
export function eventSinkBytes(): number {
  return eventBytes;
}
