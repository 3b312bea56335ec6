import type { ExecutionContext } from '@nestjs/common';
import { HttpException } from '@nestjs/common';
import { SecurityEvents } from '../core/events/security-events.service';
import type { SecurityMetrics } from '../core/metrics/security-metrics.service';
import { resolveCoreOptions } from '../core/options/core.options';
import { getSecurityState } from '../core/context/request-state';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import type { SecurityStorage } from '../storage/security-storage.interface';
import { GraphqlBudgetGuard, type OperationCost } from './graphql-budget.guard';
import { GRAPHQL_COST } from './graphql.constants';
import { resolveGraphqlOptions } from './graphql.options';

const ctxOptions = { profile: 'development' as const, isTrustedProxy: () => false };

function graphqlContext(gqlContext: object, root = true): ExecutionContext {
  const info = { path: root ? { key: 'f', prev: undefined } : { key: 'f', prev: { key: 'p' } } };
  return {
    getType: () => 'graphql',
    getArgByIndex: (i: number) => [{}, {}, gqlContext, info][i],
  } as unknown as ExecutionContext;
}

function request(ip = '10.0.0.1') {
  const req = { headers: {}, socket: { remoteAddress: ip } };
  getSecurityState(req).ip = ip;
  return req;
}

describe('GraphqlBudgetGuard', () => {
  let storage: SecurityStorage;
  let guard: GraphqlBudgetGuard;
  const headers = new Map<string, string>();
  const res = { setHeader: (n: string, v: string) => headers.set(n, v), getHeader: (n: string) => headers.get(n) };

  beforeEach(() => {
    headers.clear();
    storage = new MemorySecurityStorage();
    const events = new SecurityEvents(resolveCoreOptions({}));
    guard = new GraphqlBudgetGuard(
      { graphql: resolveGraphqlOptions({ budget: { points: 100, windowSec: 60 }, maxCost: 100 }, ctxOptions) },
      storage,
      events,
    );
  });

  it('charges the operation cost once per operation, shared by its root fields, and skips nested fields', async () => {
    const operation: OperationCost = { cost: 30 };
    const context = { req: request(), res, [GRAPHQL_COST]: operation };
    await guard.canActivate(graphqlContext(context));
    await guard.canActivate(graphqlContext(context));
    await guard.canActivate(graphqlContext(context, false));
    expect(operation.state).toMatchObject({ cost: 30, limit: 100, remaining: 70 });
    expect(headers.get('RateLimit-Policy')).toBe('"graphql-cost";q=100;w=60');
    expect(headers.get('RateLimit')).toMatch(/^"graphql-cost";r=70;t=\d+$/);
  });

  it('records the cost it charged, by operation type, and nothing for a refused operation', async () => {
    const spent: Array<[number, string]> = [];
    const metrics = {
      graphqlCost: (cost: number, type: string) => void spent.push([cost, type]),
    } as Partial<SecurityMetrics> as SecurityMetrics;
    const metered = new GraphqlBudgetGuard(
      { graphql: resolveGraphqlOptions({ budget: { points: 100, windowSec: 60 }, maxCost: 100 }, ctxOptions) },
      storage,
      new SecurityEvents(resolveCoreOptions({})),
      metrics,
    );
    const mutation = (cost: number): ExecutionContext =>
      ({
        getType: () => 'graphql',
        getArgByIndex: (i: number) =>
          [
            {},
            {},
            { req: request('10.0.0.9'), res, [GRAPHQL_COST]: { cost } },
            { path: { key: 'f' }, operation: { operation: 'mutation' } },
          ][i],
      }) as unknown as ExecutionContext;
    await metered.canActivate(mutation(60));
    await expect(metered.canActivate(mutation(60))).rejects.toBeInstanceOf(HttpException);
    expect(spent).toEqual([[60, 'mutation']]);
  });

  it('refuses with 429 RATE_LIMITED and retryAfter once the budget is spent, per caller', async () => {
    const spend = (ip: string) =>
      Promise.resolve(guard.canActivate(graphqlContext({ req: request(ip), res, [GRAPHQL_COST]: { cost: 60 } })));
    await spend('10.0.0.2');
    const refused = await spend('10.0.0.2').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpException);
    expect((refused as HttpException).getStatus()).toBe(429);
    expect((refused as HttpException).getResponse()).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfter: expect.any(Number),
    });
    await expect(spend('10.0.0.3')).resolves.toBe(true);
  });

  it('fails closed with 503 when the storage fails', async () => {
    const broken = { run: () => Promise.reject(new Error('down')) } as unknown as SecurityStorage;
    const events = new SecurityEvents(resolveCoreOptions({}));
    const closed = new GraphqlBudgetGuard({ graphql: resolveGraphqlOptions({}, ctxOptions) }, broken, events);
    const error = await Promise.resolve(
      closed.canActivate(graphqlContext({ req: request(), [GRAPHQL_COST]: { cost: 1 } })),
    ).catch((e: unknown) => e);
    expect((error as HttpException).getStatus()).toBe(503);
  });

  it('lets HTTP requests through untouched, synchronously', () => {
    const http = { getType: () => 'http' } as unknown as ExecutionContext;
    expect(guard.canActivate(http)).toBe(true);
  });
});
