import { Controller, Get, Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { Public, SecurityModule } from 'nestjs-rampart';
import { onlyFeatures } from '../fixtures/only-features';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';

/** The class names of the global enhancers Nest will run, in the order it runs them. */
function pipeline(app: INestApplication) {
  const config = app.get(ApplicationConfig);
  const names = (list: object[]) => list.filter(Boolean).map((e) => e.constructor.name);
  return {
    guards: names(config.getGlobalGuards()),
    interceptors: names(config.getGlobalInterceptors()),
    pipes: names(config.getGlobalPipes()),
  };
}

@Public()
@Controller('plain')
class PlainController {
  @Get()
  get() {
    return { ok: true };
  }
}

@Module({
  imports: [
    // Every feature off: the benchmark's own switch-off list, so the two cannot drift apart.
    SecurityModule.forRoot(onlyFeatures()),
  ],
  controllers: [PlainController],
})
class AllOffModule {}

@Module({
  imports: [SecurityModule.forRoot({ rateLimit: { policies: { default: { limit: 1000, windowSeconds: 60 } } } })],
  controllers: [PlainController],
})
class DefaultsModule {}

describe.each(ADAPTERS)('the security pipeline order (%s)', (adapter) => {
  describe('the sample app, every feature on', () => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await bootApp(adapter, AppModule));
    });
    afterAll(() => app.close());

    it('registers the guards in the documented order: authentication before authorization and ownership', () => {
      const { guards } = pipeline(app);
      expect(guards).toEqual([
        'RateLimitGuard',
        'RequestSignatureGuard',
        'AuthenticationGuard',
        'PrincipalRateLimitGuard',
        'RolesGuard',
        'OwnershipGuard',
        // step-up MFA: after authorization (the sample has @RequireMfa() routes)
        'MfaGuard',
        'SecurityHeadersGuard',
        'DeprecationGuard',
        // never refuses: records the route's response filter, applied where the result is serialized
        'ResponseFilterGuard',
      ]);
      expect(guards.indexOf('AuthenticationGuard')).toBeLessThan(guards.indexOf('RolesGuard'));
      expect(guards.indexOf('RolesGuard')).toBeLessThan(guards.indexOf('OwnershipGuard'));
    });

    it('registers the interceptors outermost first and the validation pipe', () => {
      const { interceptors, pipes } = pipeline(app);
      expect(interceptors).toEqual([
        'LoginRateLimitInterceptor',
        'WebhookReplayInterceptor',
        'IdempotencyInterceptor',
        'AuditInterceptor',
      ]);
      expect(pipes).toEqual(['SecurityValidationPipe']);
    });

    it('applies a route header override from the guard position', async () => {
      const res = await fetch(`${url}/partner/v1/balance`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('private, max-age=30');
      expect(res.headers.get('deprecation')).toEqual(expect.stringMatching(/^@\d+$/));
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    });
  });

  describe('every feature off', () => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await bootApp(adapter, AllOffModule));
    });
    afterAll(() => app.close());

    it('attaches no enhancer but the authentication stage, so a disabled feature costs nothing per request', async () => {
      expect(pipeline(app)).toEqual({ guards: ['AuthenticationGuard'], interceptors: [], pipes: [] });
      const res = await fetch(`${url}/plain`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toEqual(expect.any(String));
    });
  });

  describe('defaults, no route using a route-only feature', () => {
    let app: INestApplication;
    beforeAll(async () => {
      ({ app } = await bootApp(adapter, DefaultsModule));
    });
    afterAll(() => app.close());

    it('leaves out the interceptors and guards whose decorator no route carries', () => {
      const { guards, interceptors } = pipeline(app);
      expect(guards).not.toContain('DeprecationGuard');
      expect(guards).not.toContain('SecurityHeadersGuard');
      expect(interceptors).not.toContain('LoginRateLimitInterceptor');
      expect(interceptors).not.toContain('IdempotencyInterceptor');
      expect(interceptors).not.toContain('WebhookReplayInterceptor');
      expect(guards).toContain('RateLimitGuard');
    });
  });
});
