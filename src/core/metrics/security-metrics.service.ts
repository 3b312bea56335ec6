import { Inject, Injectable } from '@nestjs/common';
import type { HttpRequestLike } from '../context/get-request';
import type { EdgeResponse } from '../pipeline/edge-handler.interface';
import type { ResolvedCoreOptions } from '../options/core.options';
import { SECURITY_OPTIONS } from '../security.constants';
import { loadOtelApi, type OtelCounter, type OtelHistogram, type OtelMeter } from './load-otel';

/** The meter name (instrumentation scope) of every instrument. @publicApi */
export const SECURITY_METER_NAME = 'nestjs-rampart';

/** What a route is labelled with: its template, never the raw path (ids would explode the series). @internal */
export function routeLabel(req: HttpRequestLike | undefined): string {
  return templateLabel(req?.route?.path ?? req?.routeOptions?.url);
}

/** A route template as a label, or `unmatched` when none is known (no route, or a catch-all). */
function templateLabel(route: unknown): string {
  return typeof route === 'string' && route !== '' && route !== '*' ? route : 'unmatched';
}

interface Instruments {
  refusals: OtelCounter;
  rateLimited: OtelCounter;
  idempotency: OtelCounter;
  refreshReuse: OtelCounter;
  storageState: OtelCounter;
  storageDuration: OtelHistogram;
  graphqlCost: OtelCounter;
}

/**
 * The library's metrics, through the OpenTelemetry API (`@opentelemetry/api`, an optional peer):
 * counters of refusals by code and route template, 429s by policy, idempotent replays and
 * conflicts, refresh-token reuse, storage state changes and GraphQL cost, and a histogram of
 * storage round trips. Without the package, or with `metrics.enabled: false`, every method is a
 * no-op that costs one property check. Labels never carry user ids, tokens or raw paths.
 *
 * @publicApi
 */
@Injectable()
export class SecurityMetrics {
  private readonly instruments?: Instruments;

  constructor(@Inject(SECURITY_OPTIONS) options: ResolvedCoreOptions) {
    const config = options.metrics;
    if (!config.enabled) return;
    if (config.meterProvider) {
      this.instruments = createInstruments(config.meterProvider.getMeter(config.meterName) as OtelMeter);
      return;
    }
    const api = loadOtelApi();
    if (api) this.instruments = createInstruments(api.metrics.getMeter(config.meterName));
  }

  /** Whether instruments exist (the API is installed and metrics are on). */
  get enabled(): boolean {
    return this.instruments !== undefined;
  }

  /** A refused request (4xx/5xx answered with a `code`), by code and route template. */
  refusal(code: string, status: number, req: HttpRequestLike | undefined): void {
    this.instruments?.refusals.add(1, { code, status, route: routeLabel(req) });
  }

  /**
   * A request refused at the HTTP edge (edge IP limit, payload limits, malformed URL, CORS
   * preflight, plain HTTP), by code: labelled with the route template when routing has already
   * happened (Fastify routes before its `onRequest` hook), `unmatched` otherwise (Express runs the
   * edge before routing). Called on refusals only, never on admitted requests.
   */
  edgeRefusal(code: string, status: number, res: EdgeResponse): void {
    if (this.instruments) this.instruments.refusals.add(1, { code, status, route: templateLabel(res.route) });
  }

  /** A 429, once per violated policy. */
  rateLimited(policies: readonly string[]): void {
    if (!this.instruments) return;
    for (const policy of policies) this.instruments.rateLimited.add(1, { policy });
  }

  /** An idempotent request answered from its stored response (`replay`) or refused (`conflict`, `mismatch`, `in_flight`). */
  idempotency(result: string): void {
    this.instruments?.idempotency.add(1, { result });
  }

  /** A refresh token presented again after its rotation (the family is ended). */
  refreshReuse(): void {
    this.instruments?.refreshReuse.add(1);
  }

  /** The storage (or one feature's use of it) became `unavailable` or `recovered`. */
  storageState(state: 'unavailable' | 'recovered', reason: string): void {
    this.instruments?.storageState.add(1, { state, reason });
  }

  /** One storage round trip, in seconds. */
  storageRoundTrip(operation: string, seconds: number, ok: boolean): void {
    this.instruments?.storageDuration.record(seconds, { operation, outcome: ok ? 'ok' : 'error' });
  }

  /**
   * GraphQL cost spent by an operation (its computed complexity), by operation type. Called by
   * the GraphQL limits when they have computed it; call it yourself from a custom cost plugin.
   */
  graphqlCost(cost: number, operationType: string): void {
    this.instruments?.graphqlCost.add(cost, { operation: operationType });
  }
}

function createInstruments(meter: OtelMeter): Instruments {
  return {
    refusals: meter.createCounter('rampart.requests.refused', {
      description: 'Requests refused by the security pipeline, by error code, status and route template',
    }),
    rateLimited: meter.createCounter('rampart.rate_limit.refused', {
      description: 'Requests refused with 429, by rate-limit policy',
    }),
    idempotency: meter.createCounter('rampart.idempotency.requests', {
      description: 'Idempotent requests replayed or refused, by result',
    }),
    refreshReuse: meter.createCounter('rampart.tokens.refresh_reuse', {
      description: 'Refresh tokens presented again after rotation (session family ended)',
    }),
    storageState: meter.createCounter('rampart.storage.state_changes', {
      description: 'Security storage state changes, by state and feature',
    }),
    storageDuration: meter.createHistogram('rampart.storage.duration', {
      description: 'Security storage round-trip time',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] },
    }),
    graphqlCost: meter.createCounter('rampart.graphql.cost', {
      description: 'GraphQL cost (complexity) spent, by operation type',
    }),
  };
}
