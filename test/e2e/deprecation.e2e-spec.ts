import { Controller, Get, Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Deprecated, Public, SecurityConfigError, SecurityModule, type SecurityEvent } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

const SINCE = '2025-01-01T00:00:00Z';
const SUNSET = '2099-12-31T23:59:59Z';
const LINK = 'https://api.example.com/docs/v2-migration';

@Public()
@Controller('v1')
class V1Controller {
  @Deprecated({ since: SINCE, sunset: SUNSET, link: LINK })
  @Get('orders')
  orders() {
    return { version: 1 };
  }

  @Deprecated({ since: '2020-01-01T00:00:00Z', sunset: new Date('2021-01-01T00:00:00Z') })
  @Get('retired')
  retired() {
    return { never: true };
  }

  @Get('current')
  current() {
    return { version: 2 };
  }
}

const events: SecurityEvent[] = [];

@Module({
  imports: [
    SecurityModule.forRoot({
      rateLimit: { enabled: false },
      events: { logger: false, sinks: [(e) => events.push(e)] },
    }),
  ],
  controllers: [V1Controller],
})
class DeprecationAppModule {}

describe.each(ADAPTERS)('@Deprecated (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, DeprecationAppModule));
  });
  afterAll(() => app.close());

  it('sends Deprecation (RFC 9745), Sunset (RFC 8594) and Link before the sunset', async () => {
    const res = await fetch(`${url}/v1/orders`, { headers: { 'X-Request-ID': `dep-${adapter}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('deprecation')).toBe(`@${Date.parse(SINCE) / 1000}`);
    expect(res.headers.get('sunset')).toBe('Thu, 31 Dec 2099 23:59:59 GMT');
    expect(res.headers.get('link')).toBe(`<${LINK}>; rel="deprecation"; type="text/html"`);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'DEPRECATED_ROUTE_CALLED',
        outcome: 'info',
        requestId: `dep-${adapter}`,
        details: { route: 'V1Controller.orders', sunset: '2099-12-31T23:59:59.000Z' },
      }),
    );
  });

  it('answers 410 Gone after the sunset, still with the headers', async () => {
    const res = await fetch(`${url}/v1/retired`);
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ statusCode: 410, error: 'Gone', code: 'GONE' });
    expect(res.headers.get('sunset')).toBe('Fri, 01 Jan 2021 00:00:00 GMT');
    expect(events.at(-1)).toMatchObject({
      type: 'DEPRECATED_ROUTE_CALLED',
      outcome: 'blocked',
      reason: 'sunset_passed',
    });
  });

  it('leaves other routes alone', async () => {
    const res = await fetch(`${url}/v1/current`);
    expect(res.status).toBe(200);
    expect(res.headers.get('deprecation')).toBeNull();
    expect(res.headers.get('sunset')).toBeNull();
  });
});

describe('@Deprecated validation', () => {
  it.each([
    [{ sunset: 'not a date' }, /sunset is not a valid date/],
    [{ sunset: '2020-01-01', since: '2021-01-01' }, /since is after the sunset/],
    [{ sunset: '2030-01-01', link: 'javascript:alert(1)' }, /link must be an absolute http\(s\) URL/],
    [{ sunset: '2030-01-01', link: 'https://x.test/"><' }, /link must be an absolute/],
  ])('refuses %p when the class is defined', (options, message) => {
    expect(() => Deprecated(options)).toThrow(SecurityConfigError);
    expect(() => Deprecated(options)).toThrow(message);
  });
});
