import {
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  Injectable,
  Module,
  type NestInterceptor,
  type Provider,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { Observable } from 'rxjs';
import type { AdapterName, ScenarioDef } from '../lib/scenarios';
import {
  BenchDataService,
  documentsController,
  itemsController,
  ordersController,
  paymentsController,
  publicController,
  type RouteDecorators,
} from './routes';

/** What a stack builder is given. */
export interface BuildContext {
  adapter: AdapterName;
  /** Set when the run has a Redis server (scenarios with `redis: true`). */
  redisUrl?: string;
}

/** A stack's app for one scenario, or why there is none. */
export type StackBuild =
  | {
      status: 'ok';
      module: Type;
      /** Runs before `listen` (e.g. `app.use(helmet())`). */
      setup?: (app: INestApplication) => void;
      /** Runs after `init`; returns extra request headers (e.g. a key the library issued). */
      afterInit?: (app: INestApplication) => Promise<Record<string, string>>;
      headers?: Record<string, string>;
    }
  | { status: 'not-applicable' | 'error'; reason: string };

/** The controller serving `scenario.path`, with the stack's decorators on the route. */
export function controllerFor(scenario: ScenarioDef, decorators: RouteDecorators): Type {
  switch (scenario.id) {
    case 'public-get':
      return publicController(decorators);
    case 'jwt-role-owner-get':
      return documentsController(decorators);
    case 'validated-post':
      return ordersController(decorators);
    case 'idempotent-replay':
    case 'idempotent-first':
      return paymentsController(decorators);
    case 'jwt-get':
    case 'jwt-get-cold':
    case 'redis-rate-get':
    case 'api-key-get':
    case 'full-memory':
    case 'full-redis':
      return itemsController(decorators);
    case 'graphql-query':
      throw new Error('GraphQL scenarios are served by graphql-stack.ts');
    default: {
      const never: never = scenario.id;
      throw new Error(`unknown scenario ${String(never)}`);
    }
  }
}

@Injectable()
class NoopInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

@Injectable()
class NoopGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/**
 * For cost experiments: `BENCH_NOOP_INTERCEPTORS=N` / `BENCH_NOOP_GUARDS=N` give the bare app N
 * global enhancers that do nothing, to measure what the framework charges per enhancer.
 */
function noopEnhancers(): Provider[] {
  const count = (name: string): number => Math.max(0, Math.floor(Number(process.env[name] ?? 0)) || 0);
  return [
    ...Array.from({ length: count('BENCH_NOOP_INTERCEPTORS') }, () => ({
      provide: APP_INTERCEPTOR,
      useClass: NoopInterceptor,
    })),
    ...Array.from({ length: count('BENCH_NOOP_GUARDS') }, () => ({ provide: APP_GUARD, useClass: NoopGuard })),
  ];
}

/** Bare: the same routes with no security at all. */
export function buildBare(scenario: ScenarioDef): StackBuild {
  @Module({ controllers: [controllerFor(scenario, {})], providers: [BenchDataService, ...noopEnhancers()] })
  class BareBenchModule {}
  return { status: 'ok', module: BareBenchModule };
}
