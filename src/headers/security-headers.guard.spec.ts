import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { SecurityHeaders } from './security-headers.decorator';
import { SecurityHeadersGuard } from './security-headers.guard';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';

@SecurityHeaders({ 'X-Frame-Options': 'SAMEORIGIN' })
class DocsController {
  page() {}

  @SecurityHeaders({ 'Cache-Control': 'public, max-age=60', 'Content-Security-Policy': false })
  asset() {}
}

class PlainController {
  plain() {}
}

/** A generic base controller: `shared` is one function object in both subclasses. */
abstract class BaseController {
  shared() {}
}
class InheritingController extends BaseController {}
@SecurityHeaders({ 'X-Frame-Options': 'SAMEORIGIN' })
class FramedInheritingController extends BaseController {}

/** An Express-like response holding the preset the edge wrote. */
function response() {
  const headers: Record<string, string> = {
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'",
  };
  return {
    headers,
    setHeader: (n: string, v: string) => (headers[n.toLowerCase()] = v),
    getHeader: (n: string) => headers[n.toLowerCase()],
    removeHeader: (n: string) => delete headers[n.toLowerCase()],
  };
}

function ctx(cls: object, handler: () => void, res: unknown): ExecutionContext {
  return new ExecutionContextHost([{ headers: {} }, res], cls as never, handler as (...args: unknown[]) => unknown);
}

describe('SecurityHeadersGuard', () => {
  const guard = new SecurityHeadersGuard(new Reflector(), new RoutePlanCache());

  it.each([
    [
      DocsController,
      DocsController.prototype.page,
      { 'x-frame-options': 'SAMEORIGIN', 'content-security-policy': "default-src 'none'" },
    ],
    [
      DocsController,
      DocsController.prototype.asset,
      { 'x-frame-options': 'DENY', 'cache-control': 'public, max-age=60' },
    ],
    [
      PlainController,
      PlainController.prototype.plain,
      { 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'none'" },
    ],
  ])('applies the override of %p', (cls, handler, expected) => {
    const res = response();
    expect(guard.canActivate(ctx(cls, handler, res))).toBe(true);
    expect(res.headers).toEqual(expected);
  });

  it('decides per controller class for an inherited handler, whichever is called first', () => {
    const fresh = new SecurityHeadersGuard(new Reflector(), new RoutePlanCache());
    const shared = BaseController.prototype.shared;
    const calls: Array<[object, Record<string, string>]> = [
      [InheritingController, { 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'none'" }],
      [
        FramedInheritingController,
        { 'x-frame-options': 'SAMEORIGIN', 'content-security-policy': "default-src 'none'" },
      ],
      [InheritingController, { 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'none'" }],
    ];
    for (const [cls, expected] of calls) {
      const res = response();
      fresh.canActivate(ctx(cls, shared, res));
      expect(res.headers).toEqual(expected);
    }
  });

  it.each([
    [{ 'X-Bad': 'a\r\nSet-Cookie: x=1' }, /line break or control character/],
    [{ 'Bad Name': 'x' }, /not a valid header name/],
  ])('refuses %p when the class is defined', (override, message) => {
    expect(() => SecurityHeaders(override)).toThrow(SecurityConfigError);
    expect(() => SecurityHeaders(override)).toThrow(message);
  });
});
