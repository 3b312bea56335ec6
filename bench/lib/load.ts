import autocannon from 'autocannon';
import { processCpuUs } from './cpu';
import type { ScenarioDef } from './scenarios';

/** One autocannon measurement of one route. */
export interface LoadSample {
  /** Successful (2xx) requests per second. */
  rps: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** GraphQL scenarios: 2xx responses whose body carries `errors` (not counted in `rps`). */
  mismatches?: number;
  durationSec: number;
  /** Count per status code, when some responses were not 2xx. */
  statusCodes?: Record<string, number>;
  /**
   * Server CPU (user + system) per request, in µs: far less sensitive than req/s to other load on
   * the machine. Undefined without /proc.
   */
  cpuUsPerRequest?: number;
}

/** Load settings shared by every measurement of a run. */
export interface LoadSettings {
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** Requests of the fetch warm-up used when `warmupSec` is 0. */
  warmupRequests?: number;
}

/** What one request of a scenario looks like for one stack. */
export interface RequestShape {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Values cycled through as `Authorization: Bearer …` (one per request). */
  bearerTokens?: readonly string[];
  /** A header that gets a fresh value on every request. */
  uniqueHeader?: string;
  /** A GraphQL operation: a response with `errors` does not count as a success. */
  graphql?: boolean;
}

/** Whether a GraphQL response body reports errors (most GraphQL refusals answer 200). */
export function hasGraphqlErrors(body: string): boolean {
  return /"errors"\s*:/.test(body);
}

let uniqueSeq = 0;
const uniqueRun = `${process.pid.toString(36)}-${Date.now().toString(36)}`;
/** A value never sent before by this process. */
function uniqueValue(): string {
  return `bench-${uniqueRun}-${(uniqueSeq++).toString(36)}`;
}

/** The headers of one request: the shape's, a rotating token, a fresh unique header. */
function headersFor(shape: RequestShape, index: number): Record<string, string> {
  if (!shape.bearerTokens && !shape.uniqueHeader) return shape.headers;
  const headers = { ...shape.headers };
  if (shape.bearerTokens) headers.authorization = `Bearer ${shape.bearerTokens[index % shape.bearerTokens.length]}`;
  if (shape.uniqueHeader) headers[shape.uniqueHeader] = uniqueValue();
  return headers;
}

/** Builds the request a scenario sends to a stack. */
export function requestShape(
  scenario: ScenarioDef,
  credentialHeaders: Record<string, string>,
  tokens: readonly string[],
): RequestShape {
  const headers: Record<string, string> = { ...scenario.headers, ...credentialHeaders };
  if (scenario.body) headers['content-type'] = 'application/json';
  const shape: RequestShape = {
    method: scenario.method,
    headers,
    body: scenario.body ? JSON.stringify(scenario.body) : undefined,
  };
  if (scenario.uniqueHeader) shape.uniqueHeader = scenario.uniqueHeader;
  if (scenario.graphql) shape.graphql = true;
  if (scenario.credential === 'jwt') {
    if (tokens.length === 1) headers.authorization = `Bearer ${tokens[0]}`;
    else shape.bearerTokens = tokens;
  }
  return shape;
}

async function fire(url: string, shape: RequestShape, connections: number, durationSec: number): Promise<LoadSample> {
  let next = 0;
  const perRequest = shape.bearerTokens !== undefined || shape.uniqueHeader !== undefined;
  const result = await autocannon({
    url,
    connections,
    duration: durationSec,
    timeout: 10,
    method: shape.method,
    headers: shape.headers,
    body: shape.body,
    requests: perRequest
      ? [{ setupRequest: (request) => ({ ...request, headers: headersFor(shape, next++) }) }]
      : undefined,
    verifyBody: shape.graphql ? (body) => !hasGraphqlErrors(body) : undefined,
  });
  const mismatches = result.mismatches ?? 0;
  const ok = result['2xx'] - mismatches;
  const statusCodes =
    result.non2xx > 0 && result.statusCodeStats
      ? Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, stat]) => [code, stat.count]))
      : undefined;
  return {
    statusCodes,
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ...(shape.graphql ? { mismatches } : {}),
    durationSec: result.duration,
  };
}

/**
 * A short warm-up with fetch: `count` requests, `concurrency` at a time. autocannon cannot run for
 * less than a second (it stops on its 1 s tick), which is too long to spend before every cell.
 */
export async function warmUp(url: string, shape: RequestShape, count = 600, concurrency = 16): Promise<void> {
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < count) {
      sent++;
      const headers = headersFor(shape, sent);
      const response = await fetch(url, { method: shape.method, headers, body: shape.body });
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Warms the route up (JIT, caches, connections), then measures it: `warmupSec` of autocannon when
 * given (first run), else a short fetch warm-up (later runs, when the process is already warm).
 */
export async function measure(
  url: string,
  shape: RequestShape,
  settings: LoadSettings,
  serverPid?: number,
): Promise<LoadSample> {
  if (settings.warmupSec > 0) await fire(url, shape, settings.connections, settings.warmupSec);
  else await warmUp(url, shape, settings.warmupRequests);
  const cpuBefore = processCpuUs(serverPid);
  const sample = await fire(url, shape, settings.connections, settings.durationSec);
  const cpuAfter = processCpuUs(serverPid);
  if (cpuBefore !== undefined && cpuAfter !== undefined && sample.requests > 0) {
    sample.cpuUsPerRequest = (cpuAfter - cpuBefore) / sample.requests;
  }
  return sample;
}

/** One request with fetch, for the sanity checks. */
export async function probe(
  url: string,
  shape: RequestShape,
  override: { headers?: Record<string, string>; body?: Record<string, unknown> } = {},
  withCredential = true,
): Promise<{ status: number; body: string; graphqlErrors: boolean }> {
  const headers: Record<string, string> = { ...shape.headers, ...override.headers };
  if (shape.uniqueHeader && override.headers?.[shape.uniqueHeader] === undefined) {
    headers[shape.uniqueHeader] = uniqueValue();
  }
  if (!withCredential) {
    delete headers.authorization;
    delete headers['x-api-key'];
  } else if (shape.bearerTokens) {
    headers.authorization = `Bearer ${shape.bearerTokens[0]}`;
  }
  const body = override.body ? JSON.stringify(override.body) : shape.body;
  const response = await fetch(url, { method: shape.method, headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return {
    status: response.status,
    body: text.slice(0, 300),
    graphqlErrors: shape.graphql === true && hasGraphqlErrors(text),
  };
}
