import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../../sample-app/src/app.module';
import { ADAPTERS, bootApp } from '../utils/app';

describe.each(ADAPTERS)('sample app authentication endpoints (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
  });
  afterAll(() => app.close());

  async function call(method: string, path: string, init: { token?: string; key?: string; body?: unknown } = {}) {
    const headers: Record<string, string> = {};
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.key) headers['X-API-Key'] = init.key;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  }
  const login = async (username = 'carol') => {
    const res = await call('POST', '/auth/login', { body: { username, password: `${username}-pass` } });
    expect(res.status).toBe(200);
    return res.body as { accessToken: string; refreshToken: string };
  };

  it('logs in with the user’s roles and department and answers /auth/me', async () => {
    const { accessToken, refreshToken } = await login('carol');
    expect(refreshToken).toEqual(expect.any(String));
    const me = await call('GET', '/auth/me', { token: accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ type: 'user', id: 'u-carol', roles: ['editor'], claims: { department: 'sales' } });
  });

  it.each([
    [{ username: 'carol', password: 'wrong' }, 401, 'INVALID_CREDENTIALS'],
    [{ username: 'nobody', password: 'x' }, 401, 'INVALID_CREDENTIALS'],
    [{ username: 'carol' }, 400, undefined],
    [{ username: 'carol', password: 'carol-pass', roles: ['admin'] }, 400, undefined],
  ])('refuses login body %j with %i', async (body, status, code) => {
    const res = await call('POST', '/auth/login', { body });
    expect(res.status).toBe(status);
    if (code) expect(res.body).toMatchObject({ code, message: 'Invalid username or password' });
  });

  it('rotates on refresh and ends the family when an old refresh token comes back', async () => {
    const first = await login('alice');
    const second = await call('POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(second.status).toBe(200);
    const third = await call('POST', '/auth/refresh', { body: { refreshToken: second.body.refreshToken } });
    expect(third.status).toBe(200);
    expect((await call('POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } })).status).toBe(401);
    expect((await call('GET', '/auth/me', { token: third.body.accessToken as string })).status).toBe(401);
    expect((await call('POST', '/auth/refresh', { body: {} })).status).toBe(400);
  });

  it('logout revokes the access token and the refresh family', async () => {
    const pair = await login('bob');
    expect((await call('POST', '/auth/logout', { token: pair.accessToken, body: {} })).status).toBe(204);
    expect((await call('GET', '/auth/me', { token: pair.accessToken })).status).toBe(401);
    expect((await call('POST', '/auth/refresh', { body: { refreshToken: pair.refreshToken } })).status).toBe(401);
  });

  it('creates an API key shown once, usable from X-API-Key', async () => {
    const { accessToken } = await login('admin');
    const created = await call('POST', '/auth/api-keys', {
      token: accessToken,
      body: { name: 'ci', scopes: ['reports:read'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk_live_/);
    expect(JSON.stringify(created.body)).not.toMatch(/hash/);
    const me = await call('GET', '/auth/me', { key: created.body.key as string });
    expect(me.body).toMatchObject({ type: 'api-key', id: 'u-admin', roles: ['admin'], scopes: ['reports:read'] });
    // A key cannot mint keys: the route accepts JWTs only.
    expect((await call('POST', '/auth/api-keys', { key: created.body.key as string, body: {} })).status).toBe(401);
  });

  it('a key minted in a session dies with it: logout, and refresh-token reuse', async () => {
    const mint = async (token: string) => {
      const created = await call('POST', '/auth/api-keys', { token, body: { name: 'laptop' } });
      expect(created.status).toBe(201);
      expect(created.body.info).toMatchObject({ sessionId: expect.any(String) });
      const key = created.body.key as string;
      expect((await call('GET', '/auth/me', { key })).status).toBe(200);
      return key;
    };
    const session = await login('bob');
    const key = await mint(session.accessToken);
    expect((await call('POST', '/auth/logout', { token: session.accessToken, body: {} })).status).toBe(204);
    expect(await call('GET', '/auth/me', { key })).toMatchObject({ status: 401, body: { code: 'INVALID_API_KEY' } });

    const stolen = await login('bob');
    const keyOfThief = await mint(stolen.accessToken);
    const rotated = await call('POST', '/auth/refresh', { body: { refreshToken: stolen.refreshToken } });
    expect(rotated.status).toBe(200);
    const body = { refreshToken: rotated.body.refreshToken };
    expect((await call('POST', '/auth/refresh', { body })).status).toBe(200);
    // A retired refresh token comes back (past the one-retry grace): the family is revoked, and
    // the key minted in it with it.
    expect((await call('POST', '/auth/refresh', { body: { refreshToken: stolen.refreshToken } })).status).toBe(401);
    expect((await call('GET', '/auth/me', { key: keyOfThief })).status).toBe(401);
  });

  it('caps key lifetimes at 90 days', async () => {
    const { accessToken } = await login('carol');
    const tooLong = await call('POST', '/auth/api-keys', { token: accessToken, body: { expiresInSec: 7_776_001 } });
    expect(tooLong.status).toBe(400);
    const created = await call('POST', '/auth/api-keys', { token: accessToken, body: {} });
    const info = created.body.info as { createdAt: number; expiresAt: number };
    expect(info.expiresAt - info.createdAt).toBe(7_776_000_000);
  });
});
