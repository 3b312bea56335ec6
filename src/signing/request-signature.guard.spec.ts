import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SecurityEvents } from '../core/events/security-events.service';
import type { SecurityEvent } from '../core/events/security-event.interface';
import { resolveSecurityOptions } from '../security.options';
import type { SecurityModuleOptions } from '../security.options';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import { RequestSignatureGuard } from './request-signature.guard';
import { signRequest } from './sign-request';
import { Signed } from './signed.decorator';
import { VerifyWebhook } from './verify-webhook.decorator';
import { RoutePlanCache } from '../core/context/route-plan.cache';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';

class Routes {
  @VerifyWebhook('standard', { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  standard() {}

  @VerifyWebhook('github', { secret: "It's a Secret to Everybody", replayProtection: false })
  github() {}

  @Signed()
  signed() {}

  open() {}
}

/** A guard whose clock is pinned, so the published examples verify at their own timestamps. */
class PinnedClockGuard extends RequestSignatureGuard {
  now = 0;
  protected override nowSeconds(): number {
    return this.now;
  }
}

function setup(options: SecurityModuleOptions = {}) {
  const events: SecurityEvent[] = [];
  const resolved = resolveSecurityOptions({ ...options, events: { logger: false, sinks: [(e) => events.push(e)] } });
  const guard = new PinnedClockGuard(
    new Reflector(),
    resolved,
    new MemorySecurityStorage(),
    new SecurityEvents(resolved),
    new RoutePlanCache(),
  );
  return { guard, events };
}

function context(handler: keyof Routes, req: Record<string, unknown>): ExecutionContext {
  return new ExecutionContextHost([req, {}], Routes, Routes.prototype[handler] as (...args: unknown[]) => unknown);
}

describe('RequestSignatureGuard', () => {
  it('verifies the Standard Webhooks published example at its timestamp, once', async () => {
    const { guard, events } = setup();
    guard.now = 1614265330;
    const req = {
      method: 'POST',
      url: '/webhooks',
      headers: {
        'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        'webhook-timestamp': '1614265330',
        'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
        'content-length': '20',
      },
      rawBody: Buffer.from('{"test": 2432232314}'),
    };
    await expect(guard.canActivate(context('standard', req))).resolves.toBe(true);
    // The same bytes sent again: a new request (one request is verified once, however many guards ask).
    const replay = { method: req.method, url: req.url, headers: req.headers, rawBody: req.rawBody };
    await expect(guard.canActivate(context('standard', replay))).rejects.toMatchObject({ status: 401 });
    expect(events.at(-1)).toMatchObject({
      type: 'WEBHOOK_REJECTED',
      reason: 'replayed',
      details: { scheme: 'standard' },
    });
    guard.now = 1614265330 + 301;
    const late = { method: req.method, url: req.url, headers: req.headers, rawBody: req.rawBody };
    await expect(guard.canActivate(context('standard', late))).rejects.toMatchObject({ status: 401 });
    expect(events.at(-1)).toMatchObject({ reason: 'timestamp_too_old' });
  });

  it('verifies the GitHub published example (no replay store when turned off)', async () => {
    const { guard } = setup();
    const req = {
      method: 'POST',
      url: '/gh',
      headers: {
        'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
        'content-length': '13',
      },
      rawBody: Buffer.from('Hello, World!'),
    };
    await expect(guard.canActivate(context('github', req))).resolves.toBe(true);
    const again = { method: req.method, url: req.url, headers: req.headers, rawBody: req.rawBody };
    await expect(guard.canActivate(context('github', again))).resolves.toBe(true);
  });

  it('verifies a signed request against the server clock window and the nonce store', async () => {
    const secret = 'unit-test-signing-secret-0123456789ab';
    const { guard, events } = setup({ signing: { keys: { k1: secret } } });
    guard.now = 1700000000;
    const headers = signRequest({ method: 'GET', url: '/signed?b=2&a=1', keyId: 'k1', secret, timestamp: 1700000000 });
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const req = { method: 'GET', url: '/signed?b=2&a=1', headers: lower };
    await expect(guard.canActivate(context('signed', req))).resolves.toBe(true);
    await expect(guard.canActivate(context('signed', req))).resolves.toBe(true); // same request: verified once
    const replay = { method: 'GET', url: '/signed?b=2&a=1', headers: lower };
    await expect(guard.canActivate(context('signed', replay))).rejects.toMatchObject({ status: 401 });
    expect(events.at(-1)).toMatchObject({
      type: 'SIGNATURE_INVALID',
      reason: 'nonce_replayed',
      details: { keyId: 'k1' },
    });
  });

  it('lets unmarked routes through without reading anything', () => {
    const { guard } = setup({ signing: { keys: { k1: 'x'.repeat(32) } } });
    expect(guard.canActivate(context('open', { method: 'GET', url: '/open', headers: {} }))).toBe(true);
  });

  it('fails closed with 500 when a body arrived but the raw bytes were not kept', async () => {
    const { guard, events } = setup();
    guard.now = 1614265330;
    const req = {
      method: 'POST',
      url: '/webhooks',
      headers: {
        'webhook-id': 'msg_1',
        'webhook-timestamp': '1614265330',
        'webhook-signature': 'v1,x',
        'content-length': '2',
        'content-type': 'application/json; charset=utf-8',
      },
      body: {},
    };
    await expect(guard.canActivate(context('standard', req))).rejects.toMatchObject({ status: 500 });
    expect(events.at(-1)).toMatchObject({ reason: 'raw_body_unavailable' });
  });

  it.each([['multipart/form-data; boundary=x'], ['text/plain'], ['application/xml'], [undefined]])(
    'answers 415 (not a logged 500) for a body of a type Nest keeps no raw bytes of: %p',
    async (contentType) => {
      const { guard, events } = setup();
      guard.now = 1614265330;
      const headers: Record<string, string> = {
        'webhook-id': 'msg_1',
        'webhook-timestamp': '1614265330',
        'webhook-signature': 'v1,x',
        'content-length': '3',
      };
      if (contentType) headers['content-type'] = contentType;
      const req = { method: 'POST', url: '/webhooks', headers, body: undefined };
      await expect(guard.canActivate(context('standard', req))).rejects.toMatchObject({
        status: 415,
        response: { code: 'UNSUPPORTED_MEDIA_TYPE' },
      });
      expect(events.at(-1)).toMatchObject({ type: 'WEBHOOK_REJECTED', reason: 'unsupported_media_type' });
    },
  );
});
