import type { INestApplication } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import { AppModule } from '../../sample-app/src/app.module';
import { startMetricsEndpoint } from '../../sample-app/src/metrics/metrics';
import { freePort } from '../fixtures/redis-server';
import { ADAPTERS, bootApp } from '../utils/app';

/** The sample app's Prometheus endpoint: only with METRICS_PORT, on its own port, never on the API's. */
describe('sample app /metrics', () => {
  it('is off without METRICS_PORT and refuses a port that is not one', () => {
    expect(startMetricsEndpoint({})).toBeUndefined();
    expect(() => startMetricsEndpoint({ METRICS_PORT: '99999' })).toThrow(/METRICS_PORT must be a port/);
  });
});

describe.each(ADAPTERS)('sample app /metrics with METRICS_PORT (%s)', (adapter) => {
  let provider: MeterProvider;
  let metricsUrl: string;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    // As main.ts does: the global MeterProvider exists before the app makes its instruments.
    provider = startMetricsEndpoint({ METRICS_PORT: String(port) }) as MeterProvider;
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    ({ app, url } = await bootApp(adapter, AppModule));
  });
  afterAll(async () => {
    await app.close();
    await provider.shutdown();
    metrics.disable();
  });

  it('serves the library metrics in Prometheus format on its own port, labelled by route template', async () => {
    expect((await fetch(`${url}/documents/doc-123`)).status).toBe(401);
    const scrape = await fetch(metricsUrl);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toMatch(
      /rampart_requests_refused_total\{[^}]*code="AUTHENTICATION_REQUIRED"[^}]*route="\/documents\/:id"[^}]*\} 1/,
    );
    expect(text).not.toContain('doc-123');
    // Not on the public listener.
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
  });
});
