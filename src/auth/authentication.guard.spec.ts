import { randomBytes } from 'node:crypto';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Test } from '@nestjs/testing';
import { getSecurityState } from '../core/context/request-state';
import { createTestRedisStorage } from '../../test/utils/redis';
import { SecurityModule } from '../security.module';
import { MemorySecurityStorage } from '../storage/memory/memory.storage';
import { SecurityStorage } from '../storage/security-storage.interface';
import { StorageUnavailableError } from '../storage/storage-unavailable.error';
import { Auth } from './auth.decorator';
import { AuthenticationGuard } from './authentication.guard';
import { JwtAuthenticator } from './jwt/jwt-authenticator.service';
import { Public } from './public.decorator';
import { Scopes } from './scopes.decorator';
import { TokenService } from './tokens/token.service';

class Handlers {
  @Scopes('a')
  scoped(): void {}
  @Public()
  open(): void {}
  @Auth('api-key')
  keyOnly(): void {}
}

function context(handler: keyof Handlers, headers: Record<string, string> = {}) {
  const req = { headers, url: '/x', method: 'GET' } as Record<string, unknown>;
  const res = { headers: {} as Record<string, unknown>, setHeader: (n: string, v: unknown) => (res.headers[n] = v) };
  const ctx: ExecutionContext = new ExecutionContextHost(
    [req, res],
    Handlers,
    Handlers.prototype[handler] as (...args: unknown[]) => unknown,
  );
  return { ctx, req, res };
}

/** The guard answers synchronously when it can; tests treat every answer as a promise. */
const activate = async (guard: AuthenticationGuard, ctx: ExecutionContext) => guard.canActivate(ctx);

describe('AuthenticationGuard', () => {
  async function setup(auth = {}, storage?: SecurityStorage) {
    const ref = await Test.createTestingModule({
      imports: [
        SecurityModule.forRoot({
          events: { logger: false },
          auth: { jwt: { secret: randomBytes(32) }, apiKeys: { pepper: randomBytes(32) }, ...auth },
          ...(storage ? { storage } : {}),
        }),
      ],
    }).compile();
    return { ref, guard: ref.get(AuthenticationGuard), tokens: ref.get(TokenService), reflector: ref.get(Reflector) };
  }

  it('reads route metadata once per handler', async () => {
    const { ref, guard, tokens, reflector } = await setup();
    const { accessToken } = await tokens.issue({ id: 'u', scopes: ['a'] });
    const spy = jest.spyOn(reflector, 'getAllAndOverride');
    for (let i = 0; i < 5; i++) {
      await activate(guard, context('scoped', { authorization: `Bearer ${accessToken}` }).ctx);
    }
    expect(spy.mock.calls.length).toBeLessThanOrEqual(2); // @Auth and @Public, first request only
    await ref.close();
  });

  it('sets authenticated, the principal and req.user', async () => {
    const { ref, guard, tokens } = await setup();
    const { accessToken } = await tokens.issue({ id: 'u', scopes: ['a'] });
    const { ctx, req } = context('scoped', { authorization: `bearer ${accessToken}` });
    await expect(activate(guard, ctx)).resolves.toBe(true);
    const state = getSecurityState(req);
    expect(state.authenticated).toBe(true);
    expect(state.principal?.id).toBe('u');
    expect(req.user).toBe(state.principal);
    await ref.close();
  });

  it('marks public routes as authenticated without a principal', async () => {
    const { ref, guard } = await setup();
    const { ctx, req } = context('open');
    await expect(activate(guard, ctx)).resolves.toBe(true);
    expect(getSecurityState(req).authenticated).toBe(true);
    expect(getSecurityState(req).principal).toBeUndefined();
    await ref.close();
  });

  it('verifies a credential once per GraphQL request, never for another request or another credential', async () => {
    const { ref, guard, tokens } = await setup();
    const alice = (await tokens.issue({ id: 'alice', scopes: ['a'] })).accessToken;
    const bob = (await tokens.issue({ id: 'bob', scopes: [] })).accessToken;
    const verify = jest.spyOn(ref.get(JwtAuthenticator), 'principalFor');
    /** A field resolver of the request `req` (root when `nested` is false). */
    const field = (req: Record<string, unknown>, handler: keyof Handlers, nested: boolean) => {
      const info = { path: nested ? { key: 'f', prev: { key: 'p' } } : { key: 'f' } };
      const host = new ExecutionContextHost(
        [{}, {}, { req, res: { setHeader: () => undefined } }, info],
        Handlers,
        Handlers.prototype[handler] as (...args: unknown[]) => unknown,
      );
      host.setType('graphql');
      return host;
    };
    const request = (token: string) => ({
      headers: { authorization: `Bearer ${token}` },
      url: '/graphql',
      method: 'POST',
    });

    const first = request(alice);
    for (const nested of [false, true, true])
      await expect(activate(guard, field(first, 'scoped', nested))).resolves.toBe(true);
    expect(verify).toHaveBeenCalledTimes(1);
    expect(getSecurityState(first).principal?.id).toBe('alice');

    // Another request with the same token is verified again (revocation included).
    await activate(guard, field(request(alice), 'scoped', false));
    expect(verify).toHaveBeenCalledTimes(2);

    // Another credential on the same request object is never answered from the first one's result,
    // and each field still checks its own route's scopes.
    first.headers.authorization = `Bearer ${bob}`;
    await expect(activate(guard, field(first, 'scoped', true))).rejects.toMatchObject({ status: 403 });
    expect(verify).toHaveBeenCalledTimes(3);
    expect(getSecurityState(first).principal?.id).toBe('bob');
    await ref.close();
  });

  it('answers a GraphQL route that admitted the request again, but never another route or changed credentials', async () => {
    const { ref, guard, tokens } = await setup();
    const alice = (await tokens.issue({ id: 'alice', scopes: ['a'] })).accessToken;
    const bob = (await tokens.issue({ id: 'bob', scopes: [] })).accessToken;
    const field = (req: Record<string, unknown>, handler: keyof Handlers) => {
      const host = new ExecutionContextHost(
        [{}, {}, { req, res: { setHeader: () => undefined } }, { path: { key: 'f', prev: { key: 'p' } } }],
        Handlers,
        Handlers.prototype[handler] as (...args: unknown[]) => unknown,
      );
      host.setType('graphql');
      return host;
    };
    const req: { headers: Record<string, string>; url: string; method: string } = {
      headers: {},
      url: '/graphql',
      method: 'POST',
    };

    // A public route admits the anonymous request, every time; a route without @Public still refuses it.
    for (let i = 0; i < 3; i++) expect(guard.canActivate(field(req, 'open'))).toBe(true);
    for (let i = 0; i < 2; i++) {
      expect(() => guard.canActivate(field(req, 'scoped'))).toThrow(expect.objectContaining({ status: 401 }));
    }
    expect(getSecurityState(req).principal).toBeUndefined();

    // Signed in (the same request object, another header): each route decides again, on its own rules.
    req.headers.authorization = `Bearer ${alice}`;
    for (const handler of ['open', 'open', 'scoped', 'scoped'] as const) {
      await expect(activate(guard, field(req, handler))).resolves.toBe(true);
    }
    expect(getSecurityState(req).principal?.id).toBe('alice');
    await expect(activate(guard, field(req, 'keyOnly'))).rejects.toMatchObject({ status: 401 });

    // Another principal: the route that admitted alice checks bob's scopes; without a credential, 401.
    req.headers.authorization = `Bearer ${bob}`;
    await expect(activate(guard, field(req, 'scoped'))).rejects.toMatchObject({ status: 403 });
    delete req.headers.authorization;
    await expect(activate(guard, field(req, 'scoped'))).rejects.toMatchObject({ status: 401 });
    await ref.close();
  });

  it('throws (never returns false) with the RFC 6750 challenge', async () => {
    const { ref, guard } = await setup();
    const { ctx, res } = context('scoped', { authorization: 'Bearer nope' });
    await expect(activate(guard, ctx)).rejects.toMatchObject({ status: 401 });
    expect(res.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token", ApiKey');
    await ref.close();
  });

  it('fails closed with 503 when the revocation store (Redis) does not answer', async () => {
    const storage = await createTestRedisStorage('authentication-guard');
    const { ref, guard, tokens } = await setup({}, storage);
    const { accessToken } = await tokens.issue({ id: 'u', scopes: ['a'] });
    jest.spyOn(storage, 'getMany').mockRejectedValue(new StorageUnavailableError('down'));
    const { ctx, req } = context('scoped', { authorization: `Bearer ${accessToken}` });
    await expect(activate(guard, ctx)).rejects.toMatchObject({ status: 503 });
    expect(getSecurityState(req).principal).toBeUndefined();
    await ref.close();
    await storage.close();
  });

  it('fails closed with 503 when the synchronous memory read throws, hot token or not', async () => {
    const { ref, guard, tokens } = await setup();
    const { accessToken } = await tokens.issue({ id: 'u', scopes: ['a'] });
    const first = context('scoped', { authorization: `Bearer ${accessToken}` });
    await expect(activate(guard, first.ctx)).resolves.toBe(true);
    jest.spyOn(ref.get<MemorySecurityStorage>(SecurityStorage), 'getManySync').mockImplementation(() => {
      throw new StorageUnavailableError('down');
    });
    const { ctx, req } = context('scoped', { authorization: `Bearer ${accessToken}` });
    await expect(activate(guard, ctx)).rejects.toMatchObject({ status: 503 });
    expect(getSecurityState(req).principal).toBeUndefined();
    await ref.close();
  });

  it('refuses a method the route wants but the module does not configure', async () => {
    const { ref, guard } = await setup({ apiKeys: {} });
    const { ctx, res } = context('keyOnly', { 'x-api-key': 'sk_live_whatever' });
    await expect(activate(guard, ctx)).rejects.toMatchObject({ status: 401 });
    expect(res.headers['WWW-Authenticate']).toBe('ApiKey error="invalid_key"');
    await ref.close();
  });

  it('with auth disabled only marks the request as authenticated', async () => {
    const { ref, guard } = await setup({ enabled: false });
    const { ctx, req } = context('keyOnly');
    await expect(activate(guard, ctx)).resolves.toBe(true);
    expect(getSecurityState(req).authenticated).toBe(true);
    await ref.close();
  });
});
