import { Logger } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/**
 * With `METRICS_PORT` set, serves Prometheus metrics at `http://METRICS_HOST:METRICS_PORT/metrics`
 * (host 127.0.0.1 by default) through the OpenTelemetry Prometheus exporter, and registers its
 * MeterProvider globally, which nestjs-rampart's metrics use. Call before `NestFactory.create`.
 *
 * A separate port rather than a route of the API: the scrape endpoint is never reachable through
 * the public listener (nor its CORS, rate limits and auth), it binds to loopback or the pod network
 * only, and Prometheus needs no credentials.
 */
export function startMetricsEndpoint(env: NodeJS.ProcessEnv = process.env): MeterProvider | undefined {
  if (!env.METRICS_PORT) return undefined;
  const port = Number(env.METRICS_PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new Error(`METRICS_PORT must be a port, got "${env.METRICS_PORT}"`);
  const host = env.METRICS_HOST ?? '127.0.0.1';
  const exporter = new PrometheusExporter({ port, host });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  new Logger('SampleApp').log(`metrics on http://${host}:${port}/metrics`);
  return provider;
}
