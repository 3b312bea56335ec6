import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import {
  ApiKeyService,
  Auth,
  CurrentPrincipal,
  Public,
  SecurityModule,
  TokenService,
  type SecurityEvent,
} from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

/**
 * One request, one credential. Node keeps the first of two `Authorization` headers while a proxy in
 * front may keep the last (and Express and Fastify see the same deduplicated value), so two
 * headers, two API keys, or a bearer token with an API key are refused with 400 before any of them
 * is checked. Requests are sent with `http.request` and array headers, which puts each value on a
 * line of its own.
 */
/** Header values; an array sends one header line per value. */
type Headers = Record<string, string | string[]>;

const events: SecurityEvent[] = [];

@Controller('ambiguous')
class AmbiguousController {
  @Auth(['jwt', 'api-key'])
  @Get('me')
  me(@CurrentPrincipal('id') id: string) {
    return { id };
  }

  @Public()
  @Get('public')
  open() {
    return { ok: true };
  }
}

@Module({
  imports: [
    SecurityModule.forRoot({
      events: { logger: false, sinks: [(e) => events.push(e)] },
      rateLimit: { enabled: false },
      auth: { jwt: { secret: randomBytes(48) }, apiKeys: { pepper: randomBytes(32) } },
    }),
  ],
  controllers: [AmbiguousController],
})
class AmbiguousAppModule {}

function get(url: string, path: string, headers: Headers): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(ADAPTERS)('ambiguous credentials (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let alice: string;
  let bob: string;
  let aliceKey: string;
  let bobKey: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AmbiguousAppModule));
    const tokens = app.get(TokenService);
    const keys = app.get(ApiKeyService);
    alice = (await tokens.issue({ id: 'alice' })).accessToken;
    bob = (await tokens.issue({ id: 'bob' })).accessToken;
    aliceKey = (await keys.create({ ownerId: 'alice' })).key;
    bobKey = (await keys.create({ ownerId: 'bob' })).key;
  });
  afterAll(() => app.close());
  beforeEach(() => (events.length = 0));

  const refused = { statusCode: 400, code: 'AMBIGUOUS_CREDENTIALS' };

  it('accepts one credential of either kind', async () => {
    expect(await get(url, '/ambiguous/me', { authorization: `Bearer ${alice}` })).toEqual({
      status: 200,
      body: { id: 'alice' },
    });
    expect(await get(url, '/ambiguous/me', { 'x-api-key': bobKey })).toEqual({ status: 200, body: { id: 'bob' } });
  });

  it.each<[string, () => Headers]>([
    ['two Authorization headers (two valid tokens)', () => ({ authorization: [`Bearer ${alice}`, `Bearer ${bob}`] })],
    ['two Authorization headers (valid, then garbage)', () => ({ authorization: [`Bearer ${alice}`, 'Bearer x'] })],
    ['Bearer and ApiKey schemes', () => ({ authorization: [`Bearer ${alice}`, `ApiKey ${bobKey}`] })],
    ['a bearer token and an API-key header', () => ({ authorization: `Bearer ${alice}`, 'x-api-key': bobKey })],
    [
      'Authorization: ApiKey and an API-key header',
      () => ({ authorization: `ApiKey ${aliceKey}`, 'x-api-key': bobKey }),
    ],
    ['two API-key headers', () => ({ 'x-api-key': [aliceKey, bobKey] })],
  ])('refuses %s with 400 AMBIGUOUS_CREDENTIALS', async (_name, headers) => {
    const res = await get(url, '/ambiguous/me', headers());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject(refused);
    expect(JSON.stringify(res.body)).not.toContain(alice);
    expect(events).toContainEqual(expect.objectContaining({ type: 'AUTH_FAILED', reason: 'ambiguous_credentials' }));
  });

  it('refuses them on a public route too (the principal would still be ambiguous)', async () => {
    const res = await get(url, '/ambiguous/public', { authorization: [`Bearer ${alice}`, `Bearer ${bob}`] });
    expect(res).toMatchObject({ status: 400, body: refused });
    expect(await get(url, '/ambiguous/public', {})).toEqual({ status: 200, body: { ok: true } });
  });
});
