import { randomBytes } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Test } from '@nestjs/testing';
import { SecurityConfigError } from '../../core/errors/security-config.error';
import { SecurityModule } from '../../security.module';
import { verifyCsrfToken } from './csrf-token.util';
import { SessionCookies } from './session-cookies.service';
import type { SessionCookieOptions } from './session-cookies.options';
import { createSecretKey } from 'node:crypto';
import { decodeJwt } from 'jose';

async function sessions(session?: SessionCookieOptions): Promise<SessionCookies> {
  const ref = await Test.createTestingModule({
    imports: [
      SecurityModule.forRoot({
        events: { logger: false },
        auth: { jwt: { secret: randomBytes(32) }, ...(session ? { session } : {}) },
      }),
    ],
  }).compile();
  return ref.get(SessionCookies);
}

const response = () => new ServerResponse(new IncomingMessage(new Socket()));

describe('SessionCookies', () => {
  it('refuses to issue without auth.session, naming the option', async () => {
    const service = await sessions();
    await expect(service.issue({ id: 'u' }, { request: {}, response: response() })).rejects.toThrow(
      SecurityConfigError,
    );
    await expect(service.issue({ id: 'u' }, { request: {}, response: response() })).rejects.toThrow(
      /auth\.session is not set.*Set auth\.session\.csrfSecret/,
    );
  });

  it("issues a CSRF token signed for the new session's sid, and the cookies to match", async () => {
    const csrfSecret = randomBytes(32);
    const service = await sessions({ csrfSecret, sameSite: 'strict' });
    const res = response();
    const request = { headers: {}, method: 'POST', url: '/auth/session' };
    const session = await service.issue({ id: 'u' }, { request, response: res });
    const cookies = res.getHeader('set-cookie') as string[];
    expect(cookies.map((c) => c.split('=')[0])).toEqual([
      '__Host-rampart_access',
      '__Secure-rampart_refresh',
      '__Host-rampart_csrf',
    ]);
    for (const cookie of cookies) expect(cookie).toMatch(/; Secure; SameSite=Strict$/);
    const access = decodeURIComponent(cookies[0].split(';')[0].split('=')[1]);
    const sid = decodeJwt(access).sid as string;
    expect(verifyCsrfToken(createSecretKey(csrfSecret), sid, session.csrfToken)).toBe(true);
    expect(cookies[2]).toContain(`__Host-rampart_csrf=${session.csrfToken};`);
  });

  it('clears with the same names, paths and attributes (a __Host- cookie is only replaced by one)', async () => {
    const service = await sessions({ csrfSecret: randomBytes(32), secure: false, refreshPath: '/api/session' });
    const res = response();
    service.clear(res);
    expect(res.getHeader('set-cookie')).toEqual([
      'rampart_access=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
      'rampart_refresh=; Max-Age=0; Path=/api/session; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
      'rampart_csrf=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax',
    ]);
  });
});
