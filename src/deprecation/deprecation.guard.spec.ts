import type { ExecutionContext } from '@nestjs/common';
import { HttpException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { SecurityEventInput } from '../core/events/security-event.interface';
import type { SecurityEvents } from '../core/events/security-events.service';
import { Deprecated } from './deprecated.decorator';
import { DeprecationGuard } from './deprecation.guard';
import { DEPRECATED_KEY } from './deprecation.constants';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';

@Deprecated({ since: '2026-01-01T00:00:00Z', sunset: '2026-07-01T00:00:00Z' })
class LegacyController {
  list() {}

  @Deprecated({ since: '2026-02-01T00:00:00Z', sunset: '2026-03-01T00:00:00Z', link: 'https://docs.example.com/v2' })
  detail() {}
}

class Clocked extends DeprecationGuard {
  at = 0;
  protected override now(): number {
    return this.at;
  }
}

function run(handler: 'list' | 'detail', at: string) {
  const headers: Record<string, string> = {};
  const emitted: SecurityEventInput[] = [];
  const guard = new Clocked(
    new Reflector(),
    { emit: (e: SecurityEventInput) => emitted.push(e) } as unknown as SecurityEvents,
    new RoutePlanCache(),
  );
  guard.at = Date.parse(at);
  const res = { setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value) };
  const ctx: ExecutionContext = new ExecutionContextHost(
    [{ headers: {} }, res],
    LegacyController,
    LegacyController.prototype[handler] as (...args: unknown[]) => unknown,
  );
  return { call: () => guard.canActivate(ctx), headers, emitted };
}

describe('DeprecationGuard', () => {
  it('uses the controller metadata and lets the request through before the sunset', () => {
    const r = run('list', '2026-05-01T00:00:00Z');
    expect(r.call()).toBe(true);
    expect(r.headers).toEqual({ deprecation: '@1767225600', sunset: 'Wed, 01 Jul 2026 00:00:00 GMT' });
    expect(r.emitted[0]).toMatchObject({
      type: 'DEPRECATED_ROUTE_CALLED',
      outcome: 'info',
      details: { route: 'LegacyController.list' },
    });
  });

  it('lets the handler metadata win and answers 410 from the sunset on', () => {
    const r = run('detail', '2026-03-01T00:00:00Z');
    expect(() => r.call()).toThrow(HttpException);
    expect(r.headers.link).toBe('<https://docs.example.com/v2>; rel="deprecation"; type="text/html"');
    expect(r.emitted[0]).toMatchObject({ outcome: 'blocked', reason: 'sunset_passed' });
  });

  it('stores validated metadata only', () => {
    expect(Reflect.getMetadata(DEPRECATED_KEY, LegacyController)).toEqual({
      sinceMs: Date.parse('2026-01-01T00:00:00Z'),
      sunsetMs: Date.parse('2026-07-01T00:00:00Z'),
      link: undefined,
    });
  });
});
