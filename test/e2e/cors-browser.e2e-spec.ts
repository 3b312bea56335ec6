import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { chromium, type Browser } from 'playwright-core';
import type { SecurityEvent } from 'nestjs-rampart';
import { SecurityEvents } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';
import { CHROMIUM_ARGS, describeWithChromium } from '../fixtures/chromium';

/**
 * The CORS policy in a real browser: Debian's Chromium (driven by playwright-core, no downloaded
 * browser) loads a page from an allowed origin and one from a disallowed origin; both call the
 * sample app. Only the first may read the response. Without Chromium the suite is skipped with a
 * warning, and fails under CI=true (test/fixtures/chromium.ts).
 */

/** A tiny static site: one empty HTML page, so the page's origin is http://127.0.0.1:<port>. */
async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>origin</title><p>origin page</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface CallResult {
  ok: boolean;
  status?: number;
  body?: string;
  requestId?: string | null;
  error?: string;
}

describeWithChromium('CORS in Chromium against the sample app', (chromiumPath) => {
  describe.each(ADAPTERS)('%s', (adapter) => {
    let browser: Browser;
    let app: INestApplication;
    let api: string;
    let allowed: { server: Server; origin: string };
    let denied: { server: Server; origin: string };
    const events: SecurityEvent[] = [];
    const savedOrigins = process.env.CORS_ORIGINS;

    beforeAll(async () => {
      allowed = await pageServer();
      denied = await pageServer();
      process.env.CORS_ORIGINS = allowed.origin;
      ({ app, url: api } = await bootApp(adapter, AppModule));
      const sink = app.get(SecurityEvents);
      const emit = sink.emit.bind(sink);
      sink.emit = (input) => {
        if (input.type === 'CORS_REJECTED') events.push({ type: input.type, outcome: input.outcome, time: '' });
        emit(input);
      };
      browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
    });

    afterAll(async () => {
      if (savedOrigins === undefined) delete process.env.CORS_ORIGINS;
      else process.env.CORS_ORIGINS = savedOrigins;
      await browser?.close();
      await app?.close();
      allowed?.server.close();
      denied?.server.close();
    });

    /** Opens `origin` in a fresh page and calls the API from it. */
    async function callFrom(origin: string, preflighted: boolean): Promise<CallResult> {
      const page = await browser.newPage();
      try {
        await page.goto(`${origin}/`);
        return await page.evaluate(
          async ({ url, preflighted }) => {
            try {
              const res = await fetch(url, preflighted ? { headers: { 'X-Request-ID': 'from-browser-1' } } : {});
              return {
                ok: true,
                status: res.status,
                body: await res.text(),
                requestId: res.headers.get('x-request-id'),
              };
            } catch (error) {
              return { ok: false, error: String(error) };
            }
          },
          { url: `${api}/health`, preflighted },
        );
      } finally {
        await page.close();
      }
    }

    it.each([false, true])('the allowed origin reads the response (preflighted: %s)', async (preflighted) => {
      const result = await callFrom(allowed.origin, preflighted);
      expect(result).toMatchObject({ ok: true, status: 200 });
      // The script read the body: the health report of the sample's /health ("degraded" when the
      // storage answers slower than 100 ms, as it may on a busy machine).
      expect(JSON.parse(result.body ?? 'null')).toMatchObject({ status: expect.stringMatching(/^(ok|degraded)$/) });
      // X-Request-ID is in the exposed headers, so the script can read it.
      expect(result.requestId).toEqual(preflighted ? 'from-browser-1' : expect.any(String));
    });

    it.each([false, true])('the disallowed origin is blocked (preflighted: %s)', async (preflighted) => {
      const before = events.length;
      const result = await callFrom(denied.origin, preflighted);
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(/TypeError: Failed to fetch/);
      expect(events.length).toBeGreaterThan(before);
    });
  });
});
