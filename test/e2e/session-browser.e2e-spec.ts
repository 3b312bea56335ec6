import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { SecurityEvents } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { CHROMIUM_ARGS, describeWithChromium } from '../fixtures/chromium';
import { ADAPTERS, bootApp } from '../utils/app';

/**
 * Cookie sessions in a real browser: Debian's Chromium (playwright-core, no downloaded browser)
 * logs in to the sample app at http://localhost:<port> (the browser stores the Secure cookies:
 * localhost is a potentially trustworthy origin), creates a document with the CSRF header, and
 * then visits attacker pages that post a form, or a body-less `no-cors` fetch, to the same route:
 *
 * - from http://127.0.0.1:<other port>, another site: SameSite=Lax keeps the cookies home and the
 *   request is anonymous (401);
 * - from http://localhost:<other port>, the same site on another origin (a sibling subdomain in
 *   production): the browser sends the cookies, and only the missing CSRF token stops it (403).
 *
 * None creates anything. Without Chromium the suite is skipped with a warning, and fails under
 * CI=true (test/fixtures/chromium.ts).
 */

/**
 * The attacker: `/form` submits a form to `target` as soon as it loads (the classic CSRF), `/fetch`
 * sends a body-less `no-cors` POST with the visitor's cookies (a "simple" request: no preflight).
 */
async function attackerServer(target: () => string): Promise<{ server: Server; port: number }> {
  const pages: Record<string, string> = {
    '/form': `<form id="f" method="POST" action="${target()}" enctype="multipart/form-data">
  <input name="title" value="planted by the attacker"><input name="body" value="x">
</form>
<script>document.getElementById('f').submit()</script>`,
    '/fetch': `<script>fetch(${JSON.stringify(target())}, { method: 'POST', mode: 'no-cors', credentials: 'include' })</script>`,
  };
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>win a prize</title>${pages[req.url ?? ''] ?? ''}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

interface Documents {
  status: number;
  titles: string[];
}

describeWithChromium('cookie sessions and CSRF in Chromium against the sample app', (chromiumPath) => {
  describe.each(ADAPTERS)('%s', (adapter) => {
    let browser: Browser;
    let context: BrowserContext;
    let app: INestApplication;
    let api: string;
    let attacker: { server: Server; port: number };
    let home: Page;
    let csrfToken: string;
    /** `type:reason` of every security event the app emitted, in order. */
    const events: string[] = [];

    beforeAll(async () => {
      ({ app } = await bootApp(adapter, AppModule));
      const sink = app.get(SecurityEvents);
      const emit = sink.emit.bind(sink);
      sink.emit = (input) => {
        events.push(`${input.type}:${input.reason ?? ''}`);
        emit(input);
      };
      api = `http://localhost:${(app.getHttpServer().address() as AddressInfo).port}`;
      attacker = await attackerServer(() => `${api}/documents`);
      browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
      // The sample's CSP (default-src 'none') would also stop the test's own fetch calls on its pages.
      context = await browser.newContext({ bypassCSP: true });
      home = await context.newPage();
      await home.goto(`${api}/health`);
    });

    afterAll(async () => {
      await browser?.close();
      await app?.close();
      attacker?.server.close();
    });

    /** The signed-in user's documents, read by a script of the app's own origin. */
    const documents = (): Promise<Documents> =>
      home.evaluate(async () => {
        const res = await fetch('/documents');
        const list = (await res.json()) as Array<{ title: string }>;
        return { status: res.status, titles: Array.isArray(list) ? list.map((d) => d.title) : [] };
      });

    /**
     * Opens an attacker page; returns the API's answer as the browser got it (a form navigates to
     * it; a no-cors fetch's answer is opaque, and the sample's Cross-Origin-Resource-Policy makes
     * Chromium drop it) and the security events the app emitted meanwhile.
     */
    async function attackFrom(
      origin: string,
      kind: 'form' | 'fetch',
    ): Promise<{ status?: number; body?: string; events: string[] }> {
      const page = await context.newPage();
      const from = events.length;
      const isAttack = (r: Request) => r.url() === `${api}/documents` && r.method() === 'POST';
      try {
        if (kind === 'form') {
          const answer = page.waitForResponse((r) => isAttack(r.request()));
          await page.goto(`${origin}/form`);
          const response = await answer;
          const seen = events.slice(from).filter((e) => !e.startsWith('CORS_REJECTED:'));
          return { status: response.status(), body: await response.text(), events: seen };
        }
        const done = Promise.race([
          page.waitForEvent('requestfinished', isAttack),
          page.waitForEvent('requestfailed', isAttack),
        ]);
        await page.goto(`${origin}/fetch`);
        await done;
        // The page's origin is not one the sample's CORS policy lists: that is reported too.
        return { events: events.slice(from).filter((e) => !e.startsWith('CORS_REJECTED:')) };
      } finally {
        await page.close();
      }
    }

    it('logs in: the browser keeps HttpOnly Secure token cookies; scripts see only the CSRF cookie', async () => {
      const login = await home.evaluate(async () => {
        const res = await fetch('/auth/session', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'alice', password: 'alice-pass' }),
        });
        return {
          status: res.status,
          body: (await res.json()) as { csrfToken: string },
          visible: (globalThis as unknown as { document: { cookie: string } }).document.cookie,
        };
      });
      expect(login.status).toBe(200);
      csrfToken = login.body.csrfToken;
      expect(login.visible).toBe(`__Host-rampart_csrf=${csrfToken}`);
      const cookies = await context.cookies(api);
      expect(cookies.map((c) => [c.name, c.path, c.httpOnly, c.secure, c.sameSite]).sort()).toEqual([
        ['__Host-rampart_access', '/', true, true, 'Lax'],
        ['__Host-rampart_csrf', '/', false, true, 'Lax'],
      ]);
      // The refresh cookie is stored too, for /auth/session only.
      const refresh = await context.cookies(`${api}/auth/session/refresh`);
      expect(refresh.find((c) => c.name === '__Secure-rampart_refresh')).toMatchObject({
        path: '/auth/session',
        httpOnly: true,
        secure: true,
      });
    });

    it("the app's own script creates a document with the CSRF header (2xx)", async () => {
      const created = await home.evaluate(async (token) => {
        const res = await fetch('/documents', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': token },
          body: JSON.stringify({ title: 'written by the app', body: 'hello' }),
        });
        return res.status;
      }, csrfToken);
      expect(created).toBe(201);
      expect(await documents()).toEqual({ status: 200, titles: ['written by the app'] });
    });

    // Fastify answers 415 to a form body it has no parser for (multipart) before any guard runs;
    // Express leaves it unparsed, so the guards decide. The body-less fetch reaches the guards on
    // both. Either way nothing is written.
    const expressOr415 = (status: number, code: string) =>
      adapter === 'fastify' ? { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } : { status, code };

    it('a form posted from another site gets no cookies (SameSite=Lax): refused, nothing written', async () => {
      const result = await attackFrom(`http://127.0.0.1:${attacker.port}`, 'form');
      const expected = expressOr415(401, 'AUTHENTICATION_REQUIRED');
      expect([result.status, result.body]).toEqual([expected.status, expect.stringContaining(expected.code)]);
      expect(result.events).not.toContainEqual(expect.stringMatching(/^CSRF_REJECTED/));
      expect(await documents()).toEqual({ status: 200, titles: ['written by the app'] });
    });

    it('a no-cors fetch from another site gets no cookies: anonymous, refused, nothing written', async () => {
      const result = await attackFrom(`http://127.0.0.1:${attacker.port}`, 'fetch');
      expect(result.events).toEqual(['AUTH_FAILED:missing_credentials']);
      expect(await documents()).toEqual({ status: 200, titles: ['written by the app'] });
    });

    it('a form posted from the same site, another origin, carries the cookies but no token: refused, nothing written', async () => {
      const result = await attackFrom(`http://localhost:${attacker.port}`, 'form');
      const expected = expressOr415(403, 'CSRF_TOKEN_MISSING');
      expect([result.status, result.body]).toEqual([expected.status, expect.stringContaining(expected.code)]);
      if (adapter === 'express') expect(result.events).toEqual(['CSRF_REJECTED:csrf_header_missing']);
      expect(await documents()).toEqual({ status: 200, titles: ['written by the app'] });
    });

    it('a no-cors fetch from the same site carries the cookies but no token: 403 CSRF, nothing written', async () => {
      const result = await attackFrom(`http://localhost:${attacker.port}`, 'fetch');
      expect(result.events).toEqual(['CSRF_REJECTED:csrf_header_missing']);
      expect(await documents()).toEqual({ status: 200, titles: ['written by the app'] });
    });

    it('refresh and logout from the page: the cookies rotate, then go', async () => {
      const before = (await context.cookies(api)).find((c) => c.name === '__Host-rampart_access')?.value;
      const refreshed = await home.evaluate(async (token) => {
        const res = await fetch('/auth/session/refresh', { method: 'POST', headers: { 'x-csrf-token': token } });
        return res.status;
      }, csrfToken);
      expect(refreshed).toBe(200);
      const after = (await context.cookies(api)).find((c) => c.name === '__Host-rampart_access')?.value;
      expect(after).toEqual(expect.any(String));
      expect(after).not.toBe(before);
      const loggedOut = await home.evaluate(async (token) => {
        const res = await fetch('/auth/session/logout', { method: 'POST', headers: { 'x-csrf-token': token } });
        return res.status;
      }, csrfToken);
      expect(loggedOut).toBe(204);
      expect(await context.cookies(api)).toEqual([]);
      expect((await documents()).status).toBe(401);
    });
  });
});
