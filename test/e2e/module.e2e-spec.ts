import { Controller, Get, Injectable, Module, NotFoundException } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Public,
  SecurityConfigError,
  SecurityModule,
  SecuritySettings,
  type SecurityOptionsFactory,
} from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

@Public()
@Controller('m')
class ProbeController {
  constructor(private readonly settings: SecuritySettings) {}

  @Get('profile')
  profile() {
    return { profile: this.settings.profile, frozen: Object.isFrozen(this.settings) };
  }

  @Get('missing')
  missing(): never {
    throw new NotFoundException('No such widget');
  }
}

@Injectable()
class ConfigService {
  get(key: string): string | undefined {
    return ({ PROFILE: 'staging' } as Record<string, string>)[key];
  }
}
@Module({ providers: [ConfigService], exports: [ConfigService] })
class ConfigModule {}

@Module({
  imports: [
    SecurityModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        profile: config.get('PROFILE') as 'staging',
        errors: { format: 'problem+json' },
        events: { logger: false },
      }),
    }),
  ],
  controllers: [ProbeController],
})
class AsyncAppModule {}

describe.each(ADAPTERS)('SecurityModule wiring (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AsyncAppModule));
  });
  afterAll(() => app.close());

  it('resolves forRootAsync options from injected providers, frozen', async () => {
    const res = await fetch(`${url}/m/profile`);
    expect(await res.json()).toEqual({ profile: 'staging', frozen: true });
  });

  it('writes RFC 9457 problem+json when configured', async () => {
    const res = await fetch(`${url}/m/missing`, { headers: { 'X-Request-ID': 'p-1' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toEqual({
      type: 'urn:nestjs-rampart:error:not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No such widget',
      instance: '/m/missing',
      code: 'NOT_FOUND',
      requestId: 'p-1',
    });
  });

  it('puts the path, never the query string, in the problem+json instance', async () => {
    const res = await fetch(`${url}/m/missing?token=s3cr3t&email=a%40b.example`);
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ instance: '/m/missing' });
    expect(text).not.toMatch(/s3cr3t|token|email/);
  });
});

describe('SecurityModule boot checks', () => {
  it('refuses an unknown option at boot with a hint', async () => {
    await expect(
      Test.createTestingModule({ imports: [SecurityModule.forRoot({ rateLimits: {} } as never)] }).compile(),
    ).rejects.toThrow(/SecurityModule: rateLimits is not a known option\. Did you mean "rateLimit"\?/);
  });

  it('refuses bad options from forRootAsync with the same error type', async () => {
    await expect(
      Test.createTestingModule({
        imports: [SecurityModule.forRootAsync({ useFactory: () => ({ storage: { type: 'redis' as const } }) })],
      }).compile(),
    ).rejects.toBeInstanceOf(SecurityConfigError);
  });

  it('supports useClass factories', async () => {
    @Injectable()
    class Factory implements SecurityOptionsFactory {
      createSecurityOptions() {
        return { profile: 'production' as const, events: { logger: false } };
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [SecurityModule.forRootAsync({ useClass: Factory })],
    }).compile();
    expect(moduleRef.get(SecuritySettings).profile).toBe('production');
    await moduleRef.close();
  });

  it('is global only when asked (isGlobal)', async () => {
    expect(SecurityModule.forRoot({}).global).toBeFalsy();
    expect(SecurityModule.forRoot({ isGlobal: true }).global).toBe(true);
  });
});
