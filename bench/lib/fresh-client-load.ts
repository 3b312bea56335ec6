import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A lean open-loop HTTP/1.1 load generator for the soak, where every request comes from a new
 * client (`X-Forwarded-For`). autocannon's `setupRequest` rebuilds each request through its
 * request builder (headers object copied, serialised again), which cost the driver more CPU per
 * request than the server under test spent on it on a 2-core machine. Here a request is a fixed
 * head (request line, Host, the caller's headers) written once, plus the client's address: one
 * string concatenation and one `socket.write` per request, on keep-alive connections. Responses
 * are framed by Content-Length (or a chunked body's last chunk) and not otherwise parsed.
 */

/** What the generator sends. */
export interface FreshClientTarget {
  port: number;
  path: string;
  /** Sent with every request (no `Host` or `X-Forwarded-For`: the generator writes those). */
  headers: Record<string, string>;
  /** The `X-Forwarded-For` value of the n-th request (0-based over the generator's life). */
  clientAddress: (n: number) => string;
}

/** One measured window. */
export interface FreshClientWindow {
  /** Requests answered in the window. */
  requests: number;
  /** Requests written in the window, each with a new client address. */
  sent: number;
  durationSec: number;
  /** Answered requests per second. */
  rps: number;
  /** Latency from the write to the end of the response, ms. */
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  /** Connection errors (the connection is opened again). */
  errors: number;
  /** Requests still unanswered 10 s after the window ended. */
  timeouts: number;
  /** This process's CPU (user + system) per request sent, µs. */
  driverCpuUsPerRequest: number;
  /** Requests the rate asked for that were never written: every connection was waiting for an answer. */
  behind: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n');
const DRAIN_TIMEOUT_MS = 10_000;

interface Connection {
  socket: Socket;
  /** Write times of the requests in flight, oldest first. */
  inFlight: number[];
  pending: Buffer | undefined;
  /** In `idle` (it may take another request). */
  idle: boolean;
}

/** See the file comment. Call `measure` for each window, then `close`. */
export class FreshClientLoad {
  private readonly head: string;
  private readonly connections: Connection[] = [];
  /** Connections with fewer than `pipelining` requests in flight. */
  private idle: Connection[] = [];
  private nextClient = 0;
  private window: {
    latencies: number[];
    sent: number;
    non2xx: number;
    errors: number;
    due: (now: number) => number;
    open: boolean;
  } = { latencies: [], sent: 0, non2xx: 0, errors: 0, due: () => 0, open: false };

  constructor(
    private readonly target: FreshClientTarget,
    private readonly options: { connections: number; rate: number; pipelining: number },
  ) {
    const headers = Object.entries(target.headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    this.head = `GET ${target.path} HTTP/1.1\r\nhost: 127.0.0.1:${target.port}\r\n${headers}x-forwarded-for: `;
  }

  /** How many distinct client addresses have been sent so far. */
  get clients(): number {
    return this.nextClient;
  }

  async open(): Promise<void> {
    for (let i = 0; i < this.options.connections; i++) this.connections.push(await this.connect());
  }

  /** Sends at `rate` requests per second for `durationSec`, then waits for the answers. */
  async measure(durationSec: number): Promise<FreshClientWindow> {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const window = {
      latencies: [] as number[],
      sent: 0,
      non2xx: 0,
      errors: 0,
      due: (now: number) => Math.floor(((now - started) / 1000) * this.options.rate),
      open: true,
    };
    this.window = window;
    const ticker = setInterval(() => this.pump(), 2);
    await new Promise((resolve) => setTimeout(resolve, durationSec * 1000));
    clearInterval(ticker);
    window.open = false;
    const elapsedSec = (performance.now() - started) / 1000;
    const drainUntil = Date.now() + DRAIN_TIMEOUT_MS;
    while (this.inFlight() > 0 && Date.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 20));
    const timeouts = this.inFlight();
    if (timeouts > 0) await this.reopen();
    const cpu = process.cpuUsage(cpuBefore);
    const sorted = Float64Array.from(window.latencies).sort();
    const at = (q: number): number =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
    const round = (ms: number): number => Math.round(ms * 10) / 10;
    return {
      requests: sorted.length,
      sent: window.sent,
      durationSec: Math.round(elapsedSec * 10) / 10,
      rps: Math.round(sorted.length / elapsedSec),
      p50: round(at(0.5)),
      p99: round(at(0.99)),
      max: round(sorted.length ? sorted[sorted.length - 1] : 0),
      non2xx: window.non2xx,
      errors: window.errors,
      timeouts,
      driverCpuUsPerRequest: window.sent ? Math.round((cpu.user + cpu.system) / window.sent) : 0,
      behind: Math.max(0, window.due(started + elapsedSec * 1000) - window.sent),
    };
  }

  close(): void {
    const open = this.connections.splice(0);
    this.idle = [];
    for (const connection of open) connection.socket.destroy();
  }

  private inFlight(): number {
    return this.connections.reduce((sum, c) => sum + c.inFlight.length, 0);
  }

  /**
   * Writes what is due on connections with room (at most `pipelining` requests in flight each).
   * What could not be written yet stays due: the generator catches up as answers come back, so a
   * stall costs latency, not requests.
   */
  private pump(): void {
    const window = this.window;
    if (!window.open) return;
    const now = performance.now();
    let owed = window.due(now) - window.sent;
    while (owed > 0 && this.idle.length > 0) {
      // Oldest idle first, so every connection stays in use (a server closes idle keep-alive ones).
      const connection = this.idle[0];
      connection.inFlight.push(now);
      connection.socket.write(`${this.head}${this.target.clientAddress(this.nextClient++)}\r\n\r\n`, 'latin1');
      window.sent++;
      owed--;
      if (connection.inFlight.length >= this.options.pipelining) {
        connection.idle = false;
        this.idle.shift();
      }
    }
  }

  private markIdle(connection: Connection): void {
    if (connection.idle || connection.socket.destroyed || connection.inFlight.length >= this.options.pipelining) return;
    connection.idle = true;
    this.idle.push(connection);
  }

  private connect(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.target.port, '127.0.0.1');
      const connection: Connection = { socket, inFlight: [], pending: undefined, idle: false };
      let connected = false;
      socket.setNoDelay(true);
      socket.once('connect', () => {
        connected = true;
        this.markIdle(connection);
        resolve(connection);
      });
      // After the connection is up, an error is followed by 'close', which opens another.
      socket.on('error', (error) => connected || reject(error));
      socket.on('data', (chunk: Buffer) => this.onData(connection, chunk));
      socket.on('close', () => void this.replace(connection));
    });
  }

  /**
   * A connection that closed is opened again. Requests it had in flight count as errors; an idle
   * one closed by the server (keep-alive timeout) is not one.
   */
  private async replace(connection: Connection): Promise<void> {
    this.idle = this.idle.filter((c) => c !== connection);
    const index = this.connections.indexOf(connection);
    if (index < 0) return;
    this.window.errors += connection.inFlight.length;
    this.connections[index] = await this.connect();
  }

  private async reopen(): Promise<void> {
    const stale = this.connections.splice(0);
    this.idle = [];
    for (const connection of stale) connection.socket.destroy();
    for (let i = 0; i < stale.length; i++) this.connections.push(await this.connect());
  }

  private onData(connection: Connection, chunk: Buffer): void {
    const buffer = connection.pending ? Buffer.concat([connection.pending, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      const headEnd = buffer.indexOf(HEAD_END, offset);
      if (headEnd < 0) break;
      const end = this.responseEnd(buffer, offset, headEnd);
      if (end < 0) break;
      const status = Number(buffer.toString('latin1', offset + 9, offset + 12));
      const sentAt = connection.inFlight.shift();
      if (sentAt !== undefined) this.window.latencies.push(performance.now() - sentAt);
      if (status < 200 || status > 299) this.window.non2xx++;
      offset = end;
    }
    connection.pending = offset < buffer.length ? buffer.subarray(offset) : undefined;
    this.markIdle(connection);
    this.pump();
  }

  /** Where the response starting at `offset` ends, or -1 when it has not all arrived. */
  private responseEnd(buffer: Buffer, offset: number, headEnd: number): number {
    const head = buffer.toString('latin1', offset, headEnd).toLowerCase();
    const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
    if (length) {
      const end = headEnd + 4 + Number(length[1]);
      return end <= buffer.length ? end : -1;
    }
    if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
      const last = buffer.indexOf(LAST_CHUNK, headEnd + 2);
      return last < 0 ? -1 : last + LAST_CHUNK.length;
    }
    return headEnd + 4; // no body (204, 304)
  }
}
