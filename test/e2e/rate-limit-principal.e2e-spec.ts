import { randomBytes } from 'node:crypto';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { ApiKeyService, Auth, RateLimit, SecurityModule, TokenService } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

/**
 * One budget per principal: tier quotas and a route's own budget are counted per subject, so a
 * user who spends them with a JWT gets nothing fresh by switching to one of their API keys, while
 * another user's key keeps its own budget.
 */
@Auth(['jwt', 'api-key'])
@Controller('budget')
class BudgetController {
  @Get('shared')
  shared() {
    return { ok: true };
  }

  @RateLimit({ 'authenticated.minute': { limit: 2, windowSeconds: 60 } })
  @Get('route')
  route() {
    return { ok: true };
  }
}

@Module({
  imports: [
    SecurityModule.forRoot({
      events: { logger: false },
      rateLimit: { tiers: { authenticated: { minute: { limit: 3, windowSeconds: 60 } } } },
      auth: { jwt: { secret: randomBytes(48) }, apiKeys: { pepper: randomBytes(32) } },
    }),
  ],
  controllers: [BudgetController],
})
class BudgetAppModule {}

describe.each(ADAPTERS)('one rate-limit budget per principal (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let tokens: TokenService;
  let keys: ApiKeyService;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, BudgetAppModule));
    tokens = app.get(TokenService);
    keys = app.get(ApiKeyService);
  });
  afterAll(() => app.close());

  const call = (path: string, headers: Record<string, string>) =>
    fetch(`${url}/budget/${path}`, { headers }).then(async (r) => ({
      status: r.status,
      code: r.status === 429 ? ((await r.json()) as { code: string }).code : undefined,
    }));
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const apiKey = (key: string) => ({ 'x-api-key': key });

  it.each([
    ['the tier quota', 'shared', 3],
    ["a route's own budget", 'route', 2],
  ])('%s: a JWT-spent budget is not refilled by the same user’s API key', async (_name, path, limit) => {
    const user = `user-${path}`;
    const { accessToken } = await tokens.issue({ id: user });
    const { key } = await keys.create({ ownerId: user });
    const other = (await keys.create({ ownerId: `other-${path}` })).key;
    for (let i = 0; i < limit; i++) expect((await call(path, bearer(accessToken))).status).toBe(200);
    expect(await call(path, bearer(accessToken))).toEqual({ status: 429, code: 'RATE_LIMITED' });
    expect(await call(path, apiKey(key))).toEqual({ status: 429, code: 'RATE_LIMITED' });
    // Another subject is unaffected.
    expect((await call(path, apiKey(other))).status).toBe(200);
  });

  it('a budget spent with an API key is not refilled by the user’s JWT either', async () => {
    const { key } = await keys.create({ ownerId: 'user-key-first' });
    const { accessToken } = await tokens.issue({ id: 'user-key-first' });
    for (let i = 0; i < 3; i++) expect((await call('shared', apiKey(key))).status).toBe(200);
    expect((await call('shared', bearer(accessToken))).status).toBe(429);
  });
});
