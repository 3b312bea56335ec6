/** The part of `@opentelemetry/api` the library uses (structural: the peer is optional). @internal */
export interface OtelCounter {
  add(value: number, attributes?: Record<string, string | number>): void;
}
/** @internal */
export interface OtelHistogram {
  record(value: number, attributes?: Record<string, string | number>): void;
}
/** @internal */
export interface OtelMeter {
  createCounter(name: string, options?: { description?: string; unit?: string }): OtelCounter;
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): OtelHistogram;
}
/** @internal */
export interface OtelMetricsApi {
  metrics: { getMeter(name: string, version?: string): OtelMeter };
}

/**
 * Loads the optional peer `@opentelemetry/api` lazily; `undefined` when it is not installed (the
 * metrics are then a no-op). The API alone records nothing: the app's OpenTelemetry SDK, when it
 * registers a MeterProvider, decides where the numbers go.
 *
 * @internal
 */
export function loadOtelApi(): OtelMetricsApi | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@opentelemetry/api') as OtelMetricsApi;
  } catch {
    return undefined;
  }
}
