import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HttpExchange } from './scan.types';

/** The request budget is spent; checks stop and the report says the scan is incomplete. @internal */
export class BudgetExhaustedError extends Error {
  override readonly name = 'BudgetExhaustedError';
}

/** Limits that bound a scan. @internal */
export interface ClientLimits {
  /** Maximum requests for the whole scan. */
  budget: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Maximum requests started per second. */
  rate: number;
  /** Per-request timeout (connect to last byte). */
  timeoutMs: number;
  /** Accept any TLS certificate (self-signed test targets); off by default. */
  insecure?: boolean;
}

/** One request to send. `body` objects are sent as JSON. @internal */
export interface OutgoingRequest {
  method: string;
  /** Path with query (`/documents/1?x=y`), resolved against the target, or an absolute URL. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  identity: string;
}

/** What is kept of a response body for evidence and passive checks. */
const KEEP_BYTES = 64 * 1024;

/**
 * A bounded HTTP client: every request counts against the budget, waits for a concurrency slot
 * and a rate slot, and is cut at the timeout. Redirects are not followed. Every exchange is kept
 * (body capped) for the passive checks and the evidence.
 *
 * @internal
 */
export class ScanHttpClient {
  readonly exchanges: HttpExchange[] = [];
  private used = 0;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private nextStart = 0;

  constructor(
    private readonly target: URL,
    private readonly limits: ClientLimits,
    private readonly onRequest: (used: number, budget: number) => void = () => undefined,
  ) {}

  get requestsUsed(): number {
    return this.used;
  }

  get budget(): number {
    return this.limits.budget;
  }

  /** Requests still allowed. */
  get remaining(): number {
    return this.limits.budget - this.used;
  }

  async send(req: OutgoingRequest): Promise<HttpExchange> {
    if (this.used >= this.limits.budget)
      throw new BudgetExhaustedError(`request budget of ${this.limits.budget} spent`);
    this.used += 1;
    this.onRequest(this.used, this.limits.budget);
    await this.acquire();
    try {
      await this.pace();
      const exchange = await this.perform(req);
      this.exchanges.push(exchange);
      return exchange;
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limits.concurrency) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }

  private async pace(): Promise<void> {
    const interval = 1000 / this.limits.rate;
    const now = Date.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + interval;
    if (start > now) await new Promise((r) => setTimeout(r, start - now));
  }

  private perform(req: OutgoingRequest): Promise<HttpExchange> {
    const url = new URL(req.path, this.target);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'rampart-scan',
      ...req.headers,
    };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json';
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const exchange: HttpExchange = {
      identity: req.identity,
      request: {
        method: req.method,
        url: url.toString(),
        headers,
        body: body && body.length > KEEP_BYTES ? `${body.slice(0, 512)}… (${body.length} bytes)` : body,
      },
    };
    const started = Date.now();
    return new Promise((resolve) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      let settled = false;
      const done = (error?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) exchange.error = error;
        resolve(exchange);
      };
      const client = send(url, { method: req.method, headers, rejectUnauthorized: !this.limits.insecure }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < KEEP_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          exchange.response = {
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([k, v]) => [
                k.toLowerCase(),
                Array.isArray(v) ? v.join(', ') : String(v ?? ''),
              ]),
            ),
            body: size > KEEP_BYTES ? text.slice(0, KEEP_BYTES) : text,
            truncated: size > KEEP_BYTES,
            ms: Date.now() - started,
          };
          done();
        });
        res.on('error', (e) => done(e.message));
      });
      const timer = setTimeout(() => {
        client.destroy();
        done(`timed out after ${this.limits.timeoutMs} ms`);
      }, this.limits.timeoutMs);
      client.on('error', (e: NodeJS.ErrnoException) => done(e.code ? `${e.code}: ${e.message}` : e.message));
      if (body !== undefined) client.end(body);
      else client.end();
    });
  }
}
