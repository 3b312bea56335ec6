import type { ScanContext } from '../scan-context';
import type { HttpExchange, OwaspClass } from '../scan.types';

/** One family of probes, mapped to its OWASP class. @internal */
export interface ScanCheck {
  id: string;
  owasp: OwaspClass;
  title: string;
  run(ctx: ScanContext): Promise<void>;
}

/** Whether the exchange got a 2xx answer. @internal */
export function isOk(exchange: HttpExchange | undefined): boolean {
  const status = exchange?.response?.status ?? 0;
  return status >= 200 && status < 300;
}

/** The status, or the transport error. @internal */
export function statusOf(exchange: HttpExchange): string {
  return exchange.response ? String(exchange.response.status) : `no answer (${exchange.error})`;
}

/** The parsed JSON body, or undefined. @internal */
export function jsonBody(exchange: HttpExchange | undefined): unknown {
  const body = exchange?.response?.body;
  if (!body) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function flatten(value: unknown, prefix: string, out: Set<string>): void {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, `${prefix}.${k}`, out);
  } else out.add(`${prefix}=${JSON.stringify(value)}`);
}

/**
 * Similarity of two JSON bodies: the share of `path=value` leaves they have in common (Jaccard).
 * 1 for identical documents; non-JSON bodies compare as whole strings.
 *
 * @internal
 */
export function similarity(a: HttpExchange, b: HttpExchange): number {
  const ja = jsonBody(a);
  const jb = jsonBody(b);
  if (ja === undefined || jb === undefined) return a.response?.body === b.response?.body ? 1 : 0;
  const sa = new Set<string>();
  const sb = new Set<string>();
  flatten(ja, '', sa);
  flatten(jb, '', sb);
  let common = 0;
  for (const x of sa) if (sb.has(x)) common += 1;
  const union = sa.size + sb.size - common;
  return union === 0 ? 1 : common / union;
}

/** Walks a JSON value and calls `visit` with each key and value. @internal */
export function walkJson(value: unknown, visit: (key: string, value: unknown, path: string) => void, path = '$'): void {
  if (Array.isArray(value)) value.forEach((v, i) => walkJson(v, visit, `${path}[${i}]`));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      visit(k, v, `${path}.${k}`);
      walkJson(v, visit, `${path}.${k}`);
    }
}
