import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { SecurityEvents } from '../events/security-events.service';
import { resolveCoreOptions } from '../options/core.options';
import { SecurityMetrics } from './security-metrics.service';

async function withMeter(run: (metrics: SecurityMetrics, events: SecurityEvents) => void) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const options = resolveCoreOptions({ events: { logger: false }, metrics: { meterProvider: provider } });
  const metrics = new SecurityMetrics(options);
  const events = new SecurityEvents(options, metrics);
  run(metrics, events);
  await reader.forceFlush();
  events.onModuleDestroy();
  await provider.shutdown();
  const found: Record<string, unknown[]> = {};
  for (const resource of exporter.getMetrics())
    for (const scope of resource.scopeMetrics)
      for (const metric of scope.metrics)
        found[metric.descriptor.name] = metric.dataPoints.map((p) => [p.attributes, p.value]);
  return found;
}

describe('SecurityMetrics', () => {
  it('is a no-op when disabled', () => {
    const metrics = new SecurityMetrics(resolveCoreOptions({ metrics: { enabled: false } }));
    expect(metrics.enabled).toBe(false);
    expect(() => metrics.refusal('X', 400, undefined)).not.toThrow();
  });

  it('counts storage state changes once per episode (not per failure), and GraphQL cost', async () => {
    const found = await withMeter((metrics, events) => {
      for (let i = 0; i < 50; i++)
        events.emit({ type: 'STORAGE_UNAVAILABLE', outcome: 'failure', reason: 'authentication' });
      events.emit({ type: 'STORAGE_RECOVERED', outcome: 'info', reason: 'rate_limit_storage_recovered' });
      metrics.graphqlCost(42, 'query');
      metrics.graphqlCost(8, 'query');
    });
    expect(found['rampart.storage.state_changes']).toEqual(
      expect.arrayContaining([
        [{ state: 'unavailable', reason: 'authentication' }, 1],
        [{ state: 'recovered', reason: 'rate_limit_storage_recovered' }, 1],
      ]),
    );
    expect(found['rampart.graphql.cost']).toEqual([[{ operation: 'query' }, 50]]);
  });

  it('counts metrics even when events are off', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const options = resolveCoreOptions({ events: { enabled: false }, metrics: { meterProvider: provider } });
    const events = new SecurityEvents(options, new SecurityMetrics(options));
    events.emit({ type: 'RATE_LIMITED', outcome: 'blocked', details: { policies: ['default'] }, episode: 'k' });
    await reader.forceFlush();
    const points = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    expect(points.find((m) => m.descriptor.name === 'rampart.rate_limit.refused')?.dataPoints[0].value).toBe(1);
    await provider.shutdown();
  });

  it.each([{ meterProvider: {} }, { meterProvider: 'global' }])('refuses metrics %j', (metrics) => {
    expect(() => resolveCoreOptions({ metrics })).toThrow(
      /metrics\.meterProvider must be an OpenTelemetry MeterProvider/,
    );
  });
});
