import type { INestApplication, LoggerService } from '@nestjs/common';
import { missingEventFields, type SecurityEvent } from 'nestjs-rampart';
import { AppModule } from '../../sample-app/src/app.module';
import { sampleLogin } from '../fixtures/sample-login';
import { ADAPTERS, bootApp } from '../utils/app';

/**
 * Cookie sessions on the sample app (`/auth/session`): token cookies set by the server, the
 * signed double-submit CSRF token required on cookie-authenticated writes, refresh and logout from
 * the cookies. Requests go through a small cookie jar that keeps each cookie's Path as a browser
 * does (the refresh cookie only goes to /auth/session and below).
 */

/** Collects every line the app logs (security events included). */
class CollectingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(String(message));
  }
  warn(message: unknown): void {
    this.lines.push(String(message));
  }
  error(message: unknown): void {
    this.lines.push(String(message));
  }
}

interface StoredCookie {
  value: string;
  path: string;
  attributes: string;
}

/** A browser's cookie store, reduced to what these tests need: name, value, Path, expiry. */
class CookieJar {
  readonly cookies = new Map<string, StoredCookie>();

  take(res: Response): string[] {
    const set = res.headers.getSetCookie();
    for (const line of set) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      if (attrs.some((a) => /^max-age=0$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, { value: decodeURIComponent(pair.slice(eq + 1)), path, attributes: line });
    }
    return set;
  }

  value(name: string): string {
    const cookie = this.cookies.get(name);
    if (!cookie) throw new Error(`no cookie ${name} in the jar`);
    return cookie.value;
  }

  /** The Cookie header a browser would send to `path` (RFC 6265 path match). */
  header(path: string): string {
    return [...this.cookies]
      .filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([name, c]) => `${name}=${encodeURIComponent(c.value)}`)
      .join('; ');
  }
}

const ACCESS = '__Host-rampart_access';
const REFRESH = '__Secure-rampart_refresh';
const CSRF = '__Host-rampart_csrf';

describe.each(ADAPTERS)('cookie sessions with CSRF tokens on the sample app (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  const logger = new CollectingLogger();

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule, undefined, (a) => a.useLogger(logger)));
  });
  afterAll(() => app?.close());

  interface Call {
    jar?: CookieJar;
    csrf?: string;
    cookie?: string;
    headers?: Record<string, string>;
    body?: unknown;
  }
  async function call(method: string, path: string, init: Call = {}) {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = init.cookie ?? init.jar?.header(path);
    if (cookie) headers.cookie = cookie;
    if (init.csrf !== undefined) headers['x-csrf-token'] = init.csrf;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const setCookies = init.jar ? init.jar.take(res) : res.headers.getSetCookie();
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown>, setCookies };
  }

  async function login(username = 'alice') {
    const jar = new CookieJar();
    const res = await call('POST', '/auth/session', { jar, body: { username, password: `${username}-pass` } });
    expect(res.status).toBe(200);
    return { jar, csrf: res.body.csrfToken as string, res };
  }

  const documentCount = async (jar: CookieJar) =>
    ((await call('GET', '/documents', { jar })).body as unknown as []).length;
  const newDocument = { title: 'from the browser', body: 'text' };

  /** The security events the app logged since `from` (the logger writes one JSON line per event). */
  function eventsSince(from: number): SecurityEvent[] {
    return logger.lines
      .slice(from)
      .filter((line) => line.startsWith('{"type"'))
      .map((line) => JSON.parse(line) as SecurityEvent);
  }

  it('login sets HttpOnly/Secure/SameSite token cookies and a readable CSRF cookie, and returns no token', async () => {
    const { jar, csrf, res } = await login();
    expect(Object.keys(res.body).sort()).toEqual(['csrfToken', 'expiresIn', 'refreshExpiresIn']);
    expect(res.setCookies).toHaveLength(3);
    expect(jar.cookies.get(ACCESS)?.attributes).toMatch(
      /^__Host-rampart_access=eyJ[^;]+; Max-Age=900; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(jar.cookies.get(REFRESH)?.attributes).toMatch(
      /^__Secure-rampart_refresh=eyJ[^;]+; Max-Age=604800; Path=\/auth\/session; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(jar.cookies.get(CSRF)?.attributes).toMatch(
      /^__Host-rampart_csrf=[^;]+; Max-Age=604800; Path=\/; Secure; SameSite=Lax$/,
    );
    expect(jar.value(CSRF)).toBe(csrf);
  });

  it('a write with the cookie and the CSRF header succeeds; a read needs no header', async () => {
    const { jar, csrf } = await login();
    expect((await call('GET', '/auth/me', { jar })).body).toMatchObject({ id: 'u-alice', type: 'user' });
    const before = await documentCount(jar);
    const created = await call('POST', '/documents', { jar, csrf, body: newDocument });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: newDocument.title });
    expect(await documentCount(jar)).toBe(before + 1);
  });

  it.each<[string, (s: { jar: CookieJar; csrf: string; other: string }) => Call, string, string]>([
    ['no header', ({ jar }) => ({ jar }), 'CSRF_TOKEN_MISSING', 'csrf_header_missing'],
    ['an empty header', ({ jar }) => ({ jar, csrf: '' }), 'CSRF_TOKEN_MISSING', 'csrf_header_missing'],
    [
      'a header that is not the cookie',
      ({ jar, other }) => ({ jar, csrf: other }),
      'CSRF_TOKEN_INVALID',
      'csrf_cookie_mismatch',
    ],
    [
      'no CSRF cookie',
      ({ jar, csrf }) => ({ cookie: `${ACCESS}=${jar.value(ACCESS)}`, csrf }),
      'CSRF_TOKEN_INVALID',
      'csrf_cookie_missing',
    ],
    [
      'a forged token in cookie and header',
      ({ jar }) => {
        const forged = `${'A'.repeat(22)}.${'B'.repeat(43)}`;
        return { cookie: `${ACCESS}=${jar.value(ACCESS)}; ${CSRF}=${forged}`, csrf: forged };
      },
      'CSRF_TOKEN_INVALID',
      'csrf_signature_mismatch',
    ],
    [
      "another session's token (its own cookie and header)",
      ({ jar, other }) => ({ cookie: `${ACCESS}=${jar.value(ACCESS)}; ${CSRF}=${other}`, csrf: other }),
      'CSRF_TOKEN_INVALID',
      'csrf_signature_mismatch',
    ],
  ])(
    'a cookie-authenticated write with %s is refused with 403, and nothing is written',
    async (_n, build, code, reason) => {
      const { jar, csrf } = await login();
      // The other session: bob's, with a token the server signed (for bob's session, not alice's).
      const other = (await login('bob')).csrf;
      const before = await documentCount(jar);
      const from = logger.lines.length;
      const res = await call('POST', '/documents', { ...build({ jar, csrf, other }), body: newDocument });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ statusCode: 403, code });
      expect(await documentCount(jar)).toBe(before);
      const events = eventsSince(from).filter((e) => e.type === 'CSRF_REJECTED');
      expect(events).toEqual([
        expect.objectContaining({ outcome: 'blocked', reason, path: '/documents', method: 'POST' }),
      ]);
      expect(missingEventFields(events[0])).toEqual([]);
    },
  );

  it('a bearer-authenticated write needs no CSRF token (browsers never add Authorization by themselves)', async () => {
    const token = await sampleLogin(url);
    const res = await call('POST', '/documents', { headers: { authorization: `Bearer ${token}` }, body: newDocument });
    expect(res.status).toBe(201);
  });

  it('a write the browser marks cross-site is not authenticated by the cookie, even with the token', async () => {
    const { jar, csrf } = await login();
    const res = await call('POST', '/documents', {
      jar,
      csrf,
      headers: { 'sec-fetch-site': 'cross-site' },
      body: newDocument,
    });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('AUTHENTICATION_REQUIRED');
  });

  it('an access cookie with a wrong signature is refused with 401 INVALID_TOKEN', async () => {
    const { jar, csrf } = await login();
    const token = jar.value(ACCESS);
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const cookie = `${ACCESS}=${forged}; ${CSRF}=${csrf}`;
    expect((await call('GET', '/auth/me', { cookie })).body.code).toBe('INVALID_TOKEN');
    expect((await call('POST', '/documents', { cookie, csrf, body: newDocument })).status).toBe(401);
  });

  it('the refresh cookie goes only to /auth/session, and is never an access token', async () => {
    const { jar, csrf } = await login();
    expect(jar.header('/documents')).not.toContain(REFRESH);
    expect(jar.header('/auth/session/refresh')).toContain(REFRESH);
    // Sent anyway to another path, under its own name: not a credential there.
    const misplaced = await call('GET', '/auth/me', { cookie: `${REFRESH}=${jar.value(REFRESH)}` });
    expect([misplaced.status, misplaced.body.code]).toEqual([401, 'AUTHENTICATION_REQUIRED']);
    // Put in the access cookie: a refresh token is refused as an access token.
    const swapped = await call('POST', '/documents', {
      cookie: `${ACCESS}=${jar.value(REFRESH)}; ${CSRF}=${csrf}`,
      csrf,
      body: newDocument,
    });
    expect([swapped.status, swapped.body.code]).toEqual([401, 'INVALID_TOKEN']);
  });

  it('refresh rotates both token cookies from the refresh cookie and keeps the CSRF token', async () => {
    const { jar, csrf } = await login();
    const [access, refresh] = [jar.value(ACCESS), jar.value(REFRESH)];
    const res = await call('POST', '/auth/session/refresh', { jar, csrf });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ csrfToken: csrf, expiresIn: 900, refreshExpiresIn: expect.any(Number) });
    expect(jar.value(ACCESS)).not.toBe(access);
    expect(jar.value(REFRESH)).not.toBe(refresh);
    expect((await call('POST', '/documents', { jar, csrf, body: newDocument })).status).toBe(201);
  });

  it('refresh without the CSRF header is refused before the token rotates', async () => {
    const { jar, csrf } = await login();
    const refresh = jar.value(REFRESH);
    const refused = await call('POST', '/auth/session/refresh', { jar });
    expect([refused.status, refused.body.code]).toEqual([403, 'CSRF_TOKEN_MISSING']);
    expect(refused.setCookies).toEqual([]);
    // Still the current refresh token: it rotates now (a retired one would end the session).
    expect((await call('POST', '/auth/session/refresh', { jar, csrf })).status).toBe(200);
    expect(jar.value(REFRESH)).not.toBe(refresh);
  });

  it('a refresh cookie with a wrong signature answers 401 INVALID_TOKEN and ends nothing', async () => {
    const { jar, csrf } = await login();
    const token = jar.value(REFRESH);
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const res = await call('POST', '/auth/session/refresh', { cookie: `${REFRESH}=${forged}; ${CSRF}=${csrf}`, csrf });
    expect([res.status, res.body.code]).toEqual([401, 'INVALID_TOKEN']);
    expect((await call('POST', '/auth/session/refresh', { jar, csrf })).status).toBe(200);
  });

  it('a public route ignores a session cookie sent without the CSRF token (logging in again works)', async () => {
    const { jar } = await login();
    const again = await call('POST', '/auth/session', { jar, body: { username: 'bob', password: 'bob-pass' } });
    expect(again.status).toBe(200);
    expect((await call('GET', '/auth/me', { jar })).body).toMatchObject({ id: 'u-bob' });
  });

  it('refresh without a refresh cookie answers 401 AUTHENTICATION_REQUIRED', async () => {
    const res = await call('POST', '/auth/session/refresh', { csrf: 'x' });
    expect([res.status, res.body.code]).toEqual([401, 'AUTHENTICATION_REQUIRED']);
  });

  it('a refresh token reused after rotation ends the session (reuse detection stays)', async () => {
    const { jar, csrf } = await login();
    const stolen = `${REFRESH}=${jar.value(REFRESH)}; ${CSRF}=${csrf}`;
    expect((await call('POST', '/auth/session/refresh', { jar, csrf })).status).toBe(200);
    expect((await call('POST', '/auth/session/refresh', { jar, csrf })).status).toBe(200);
    // Two rotations later the first token is neither current nor the grace-window previous one.
    const reused = await call('POST', '/auth/session/refresh', { cookie: stolen, csrf });
    expect([reused.status, reused.body.code]).toEqual([401, 'INVALID_TOKEN']);
    expect((await call('GET', '/auth/me', { jar })).status).toBe(401);
  });

  it('logout needs the CSRF header, then revokes the session and clears the cookies', async () => {
    const { jar, csrf } = await login();
    const saved = jar.header('/auth/session/logout');
    const refused = await call('POST', '/auth/session/logout', { jar });
    expect([refused.status, refused.body.code]).toEqual([403, 'CSRF_TOKEN_MISSING']);
    expect((await call('GET', '/auth/me', { jar })).status).toBe(200);

    const res = await call('POST', '/auth/session/logout', { jar, csrf });
    expect(res.status).toBe(204);
    expect(res.setCookies.map((c) => c.split('=')[0]).sort()).toEqual([ACCESS, CSRF, REFRESH].sort());
    for (const line of res.setCookies) expect(line).toMatch(/=; Max-Age=0; Path=\/[^;]*; Expires=Thu, 01 Jan 1970/);
    expect(jar.cookies.size).toBe(0);
    // The old cookies, replayed: the session is revoked.
    expect((await call('GET', '/auth/me', { cookie: saved })).status).toBe(401);
    expect((await call('POST', '/auth/session/refresh', { cookie: saved, csrf })).status).toBe(401);
  });

  it('logout without session cookies only clears them', async () => {
    const res = await call('POST', '/auth/session/logout');
    expect(res.status).toBe(204);
    expect(res.setCookies).toHaveLength(3);
  });

  it('logs no token, cookie or CSRF value (nothing that could replay)', async () => {
    const from = logger.lines.length;
    const { jar, csrf } = await login();
    await call('POST', '/documents', { jar, body: newDocument });
    await call('POST', '/documents', { jar, csrf: `${csrf.slice(0, -1)}x`, body: newDocument });
    await call('POST', '/auth/session/refresh', { jar, csrf });
    await call('POST', '/auth/session/logout', { jar: new CookieJar(), cookie: jar.header('/auth/session'), csrf });
    const logged = logger.lines.slice(from).join('\n');
    expect(eventsSince(from).map((e) => e.type)).toEqual(expect.arrayContaining(['CSRF_REJECTED', 'TOKEN_REFRESHED']));
    expect(logged).not.toContain(csrf);
    expect(logged).not.toContain(csrf.split('.')[1]);
    expect(logged).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });
});
