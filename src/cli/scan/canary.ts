import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the canary received. @internal */
export interface CanaryHit {
  method: string;
  path: string;
  from: string;
  userAgent?: string;
}

/**
 * The SSRF canary: an HTTP listener on 127.0.0.1 only (no external callback service). Probes put
 * `url(tag)` into URL-like fields; a request for that path proves the server fetched it.
 *
 * @internal
 */
export class Canary {
  private readonly hits: CanaryHit[] = [];
  private server?: Server;
  private port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.hits.push({
        method: req.method ?? '',
        path: req.url ?? '',
        from: req.socket.remoteAddress ?? '',
        userAgent: req.headers['user-agent'],
      });
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><title>rampart canary</title></html>');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(tag: string): string {
    return `http://127.0.0.1:${this.port}/rampart-canary/${tag}`;
  }

  /** The hits for `tag`, waiting up to `ms` for the first one (fetches may be asynchronous). */
  async hitsFor(tag: string, ms = 300): Promise<CanaryHit[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.hits.filter((h) => h.path.startsWith(`/rampart-canary/${tag}`));
      if (found.length > 0 || Date.now() >= deadline) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
