import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  type INestApplication,
  Module,
  NotFoundException,
  Post,
  StreamableFile,
  UseInterceptors,
} from '@nestjs/common';
import { Expose, Transform, Type } from 'class-transformer';
import {
  AllowSensitiveFields,
  Idempotent,
  Public,
  ResponseFilterInterceptor,
  SecurityModule,
  Serialize,
  type SecurityEvent,
} from 'nestjs-rampart';
import { AuthenticationGuard } from '../../src/auth/authentication.guard';
import { getSecurityState } from '../../src/core/context/request-state';
import { ADAPTERS, bootApp } from '../utils/app';

const events: SecurityEvent[] = [];

/**
 * Test-only stand-in for the authentication stage (replaces AuthenticationGuard in its slot):
 * `x-test-roles: a,b` makes an authenticated user with those roles.
 */
const fakeAuthentication: CanActivate = {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    const state = getSecurityState(req);
    state.authenticated = true;
    const roles = req.headers['x-test-roles'];
    if (typeof roles === 'string') {
      state.principal = { type: 'user', id: 'u1', roles: roles.split(','), scopes: [], claims: {} };
    }
    return true;
  },
};

const USERS = [
  {
    id: 'u1',
    username: 'alice',
    department: 'sales',
    passwordHash: 'scrypt$abc',
    profile: { ssn: '078-05-1120', city: 'Paris' },
  },
  { id: 'u2', username: 'bob', department: 'it', passwordHash: 'scrypt$def', profile: { city: 'Oslo' } },
];

class ProfileResponse {
  @Expose() city!: string;
}

class UserResponse {
  @Expose() id!: string;
  @Expose() username!: string;
  @Expose({ groups: ['admin'] }) department!: string;
  @Expose() @Type(() => ProfileResponse) profile!: ProfileResponse;
}

/** Not idempotent on purpose: a body filtered twice would read `alice!!`. */
class TaggedResponse {
  @Expose() id!: string;
  @Expose() @Transform(({ value }) => `${String(value)}!`, { toPlainOnly: true }) username!: string;
}

let orders = 0;
let deepOrders = 0;

@Public()
@Controller('f')
class FilteringController {
  @Get('raw')
  raw() {
    return {
      user: USERS[0],
      session: { token: 't', accessToken: 'kept' },
      items: [{ API_KEY: 'k', creditCard: '4111', name: 'x' }],
    };
  }

  @AllowSensitiveFields('refreshToken')
  @Post('login')
  login() {
    return { accessToken: 'a.b.c', refreshToken: 'r-1', user: { id: 'u1', password: 'leaked' } };
  }

  @Serialize(UserResponse)
  @Get('users/one')
  one() {
    return USERS[0];
  }

  @Serialize(UserResponse)
  @Get('users')
  list() {
    return USERS;
  }

  @Serialize(UserResponse, { key: 'items' })
  @Get('users/page')
  page() {
    return { items: USERS, total: 2, next: null, debug: { secret: 's' } };
  }

  @Get('file')
  file() {
    return new StreamableFile(Buffer.from('{"password":"in a file"}'), { type: 'application/json' });
  }

  @Get('text')
  text() {
    return 'password=hunter2';
  }

  @Idempotent()
  @Serialize(TaggedResponse)
  @Post('orders')
  order() {
    orders++;
    return { id: 'o1', username: 'alice', password: 'p' };
  }

  @Idempotent()
  @Post('orders/raw')
  orderRaw() {
    return { id: 'o2', token: 't', nested: { secret: 's', ok: 1 } };
  }

  @Serialize(UserResponse)
  @Get('users/missing')
  missing() {
    throw new NotFoundException('No such user');
  }

  @Serialize(TaggedResponse)
  @UseInterceptors(ResponseFilterInterceptor)
  @Get('opt-in')
  optIn() {
    return { id: 'u1', username: 'alice', password: 'p' };
  }

  @Get('deep')
  deep() {
    return tooDeep();
  }

  @Idempotent()
  @Post('orders/deep')
  orderDeep() {
    deepOrders++;
    return tooDeep();
  }
}

/** Deeper than response filtering walks: refused with a 500. */
function tooDeep(): Record<string, unknown> {
  let node: Record<string, unknown> = { password: 'x' };
  for (let i = 0; i < 40; i++) node = { child: node };
  return node;
}

@Module({
  imports: [
    SecurityModule.forRoot({
      events: { logger: false, sinks: [(e) => events.push(e)] },
      authorization: {
        roles: {
          superadmin: { inherits: ['admin'] },
          admin: { permissions: ['*'] },
          user: {},
        },
      },
      responseFiltering: { extraDenylist: ['creditCard'] },
    }),
  ],
  controllers: [FilteringController],
})
class FilteringAppModule {}

describe.each(ADAPTERS)('response filtering (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, FilteringAppModule, (builder) =>
      builder.overrideProvider(AuthenticationGuard).useValue(fakeAuthentication),
    ));
  });
  afterAll(() => app.close());

  const get = async (path: string, roles?: string, init: RequestInit = {}) => {
    const res = await fetch(`${url}${path}`, { ...init, headers: roles ? { 'x-test-roles': roles } : {} });
    return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
  };

  it('strips denylisted fields at any depth from responses without a DTO', async () => {
    const { status, text } = await get('/f/raw');
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({
      user: { id: 'u1', username: 'alice', department: 'sales', profile: { city: 'Paris' } },
      session: { accessToken: 'kept' },
      items: [{ name: 'x' }],
    });
    // The handler's data is not mutated.
    expect(USERS[0].passwordHash).toBe('scrypt$abc');
  });

  it('lets a route hand out the secrets it names, and only those', async () => {
    const { status, text } = await get('/f/login', undefined, { method: 'POST' });
    expect(status).toBe(201);
    expect(JSON.parse(text)).toEqual({ accessToken: 'a.b.c', refreshToken: 'r-1', user: { id: 'u1' } });
  });

  it('returns only exposed fields with @Serialize', async () => {
    const { text } = await get('/f/users/one', 'user');
    expect(JSON.parse(text)).toEqual({ id: 'u1', username: 'alice', profile: { city: 'Paris' } });
  });

  it('exposes role-based fields to the role and to roles including it', async () => {
    for (const roles of ['admin', 'superadmin']) {
      const { text } = await get('/f/users/one', roles);
      expect(JSON.parse(text)).toMatchObject({ id: 'u1', department: 'sales' });
    }
    expect(JSON.parse((await get('/f/users/one')).text)).not.toHaveProperty('department');
  });

  it('serializes arrays and paginated wrappers', async () => {
    const list = JSON.parse((await get('/f/users', 'user')).text) as unknown[];
    expect(list).toEqual([
      { id: 'u1', username: 'alice', profile: { city: 'Paris' } },
      { id: 'u2', username: 'bob', profile: { city: 'Oslo' } },
    ]);
    const page = JSON.parse((await get('/f/users/page', 'admin')).text) as Record<string, unknown>;
    expect(page).toEqual({
      items: [
        { id: 'u1', username: 'alice', department: 'sales', profile: { city: 'Paris' } },
        { id: 'u2', username: 'bob', department: 'it', profile: { city: 'Oslo' } },
      ],
      total: 2,
      next: null,
      debug: {},
    });
  });

  it('leaves files and plain-text responses untouched', async () => {
    expect((await get('/f/file')).text).toBe('{"password":"in a file"}');
    expect((await get('/f/text')).text).toBe('password=hunter2');
  });

  it('filters what the handler returns once, also through a DTO that is not idempotent', async () => {
    expect(JSON.parse((await get('/f/opt-in')).text)).toEqual({ id: 'u1', username: 'alice!' });
  });

  it('stores the filtered body of an idempotent route and replays it as stored, not filtered again', async () => {
    const key = `k-${adapter}-${Date.now()}`;
    const post = () => fetch(`${url}/f/orders`, { method: 'POST', headers: { 'idempotency-key': key } });
    const before = orders;
    const first = await post();
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ id: 'o1', username: 'alice!' });
    const replay = await post();
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual({ id: 'o1', username: 'alice!' });
    expect(orders).toBe(before + 1);
  });

  it('replays the stripped body of an idempotent route without a DTO', async () => {
    const key = `raw-${adapter}-${Date.now()}`;
    const post = () => fetch(`${url}/f/orders/raw`, { method: 'POST', headers: { 'idempotency-key': key } });
    const first = await post();
    expect(await first.json()).toEqual({ id: 'o2', nested: { ok: 1 } });
    const replay = await post();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual({ id: 'o2', nested: { ok: 1 } });
  });

  it('never filters an error body, even on a route with a DTO', async () => {
    const { status, text } = await get('/f/users/missing');
    expect(status).toBe(404);
    expect(JSON.parse(text)).toMatchObject({ statusCode: 404, message: 'No such user', code: 'NOT_FOUND' });
  });

  it('refuses a response too deep to filter with a generic 500 rather than sending it', async () => {
    const { status, text } = await get('/f/deep');
    expect(status).toBe(500);
    expect(text).not.toContain('password');
    expect(JSON.parse(text)).toMatchObject({ code: 'INTERNAL_ERROR' });
    expect(events).toContainEqual(expect.objectContaining({ reason: 'response_filter_failed' }));
  });

  it('releases the key of an idempotent route whose response cannot be filtered (the retry runs again)', async () => {
    const before = deepOrders;
    const key = `deep-${adapter}`;
    const post = () => fetch(`${url}/f/orders/deep`, { method: 'POST', headers: { 'idempotency-key': key } });
    const first = await post();
    expect(first.status).toBe(500);
    expect(await first.text()).not.toContain('password');
    // Not 409 IDEMPOTENCY_IN_FLIGHT: the failed attempt gave the key back, nothing was stored.
    const retry = await post();
    expect(retry.status).toBe(500);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(deepOrders - before).toBe(2);
  });
});
