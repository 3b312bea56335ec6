import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  Module,
  NotFoundException,
  type OnModuleDestroy,
  type Provider,
  SetMetadata,
  type Type,
  UnauthorizedException,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { APP_GUARD, APP_PIPE, Reflector } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { ThrottlerGuard, ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import helmet from 'helmet';
import Redis from 'ioredis';
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, USUAL_API_KEY, USUAL_API_KEY_SHA256 } from '../lib/fixtures';
import type { ScenarioDef } from '../lib/scenarios';
import { BenchDataService, type RouteDecorators } from './routes';
import { controllerFor, type BuildContext, type StackBuild } from './stack';

/**
 * The "usual stack": what a NestJS team assembles today from the docs. @nestjs/jwt in the
 * documented global AuthGuard, a Reflector-based RolesGuard, a hand-written ownership guard,
 * @nestjs/throttler (default in-memory storage, or a nest-lab-style Redis storage), helmet, and
 * Nest's stock ValidationPipe.
 */

const IS_PUBLIC = 'isPublic';
const UsualPublic = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
const UsualRoles = Reflector.createDecorator<string[]>();

interface JwtUser {
  sub: string;
  roles?: string[];
}
type AuthedRequest = {
  headers: Record<string, string | string[] | undefined>;
  user?: JwtUser;
  params: Record<string, string>;
};

/** The docs' AuthGuard (content/security/authentication.md), global with an `@Public()` opt-out. */
@Injectable()
class UsualJwtGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const [type, token] = (request.headers.authorization as string | undefined)?.split(' ') ?? [];
    if (type !== 'Bearer' || !token) throw new UnauthorizedException();
    try {
      request.user = await this.jwt.verifyAsync<JwtUser>(token);
    } catch {
      throw new UnauthorizedException();
    }
    return true;
  }
}

/** The docs' RolesGuard (content/security/authorization.md). */
@Injectable()
class UsualRolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride(UsualRoles, [context.getHandler(), context.getClass()]);
    if (!roles) return true;
    const user = context.switchToHttp().getRequest<AuthedRequest>().user;
    if (!user?.roles?.some((role) => roles.includes(role))) throw new ForbiddenException();
    return true;
  }
}

/** A hand-written ownership check: load the resource, compare its owner to `sub`. */
@Injectable()
class UsualOwnershipGuard implements CanActivate {
  constructor(private readonly data: BenchDataService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const doc = this.data.document(request.params.id);
    if (!doc) throw new NotFoundException();
    if (doc.ownerId !== request.user?.sub) throw new ForbiddenException();
    return true;
  }
}

/** A hand-written API-key guard: SHA-256 of the presented key, constant-time compare. */
@Injectable()
class UsualApiKeyGuard implements CanActivate {
  private readonly expected = Buffer.from(USUAL_API_KEY_SHA256, 'hex');

  canActivate(context: ExecutionContext): boolean {
    const key = context.switchToHttp().getRequest<AuthedRequest>().headers['x-api-key'];
    if (typeof key !== 'string') throw new UnauthorizedException();
    const digest = createHash('sha256').update(key).digest();
    if (!timingSafeEqual(digest, this.expected)) throw new UnauthorizedException();
    return true;
  }
}

/**
 * A Redis ThrottlerStorage in the style of @nest-lab/throttler-storage-redis (whose peer range
 * does not include Nest 12 yet): one Lua script per decision, INCR + PTTL + block key.
 */
const THROTTLE_LUA = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
local blockTtl = redis.call('PTTL', KEYS[2])
local blocked = 0
if blockTtl > 0 then
  blocked = 1
elseif hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  blocked = 1
  blockTtl = tonumber(ARGV[3])
else
  blockTtl = 0
end
return { hits, ttl, blocked, blockTtl }
`;

type ThrottleReply = [number, number, number, number];
type ThrottleClient = Redis & {
  benchThrottle(hitKey: string, blockKey: string, ttl: number, limit: number, block: number): Promise<ThrottleReply>;
};

export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly redis: ThrottleClient;

  constructor(url: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 }) as ThrottleClient;
    this.redis.defineCommand('benchThrottle', { numberOfKeys: 2, lua: THROTTLE_LUA });
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const base = `usual-throttle:{${throttlerName}:${key}}`;
    const [totalHits, timeToExpire, blocked, timeToBlockExpire] = await this.redis.benchThrottle(
      `${base}:hits`,
      `${base}:block`,
      ttl,
      limit,
      blockDuration,
    );
    return {
      totalHits,
      timeToExpire: Math.ceil(timeToExpire / 1000),
      isBlocked: blocked === 1,
      timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000),
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit();
  }
}

/** A limit high enough that the benchmark never trips it: we measure the decision, not 429s. */
const HUGE_LIMIT = 1_000_000_000;

function throttler(redisUrl?: string): Type | ReturnType<typeof ThrottlerModule.forRoot> {
  return ThrottlerModule.forRoot({
    throttlers: [{ ttl: 60_000, limit: HUGE_LIMIT }],
    ...(redisUrl ? { storage: new RedisThrottlerStorage(redisUrl) } : {}),
  });
}

const jwtModule = (): ReturnType<typeof JwtModule.register> =>
  JwtModule.register({
    secret: JWT_SECRET,
    verifyOptions: { algorithms: ['HS256'], issuer: JWT_ISSUER, audience: JWT_AUDIENCE },
  });

const guard = (type: Type): Provider => ({ provide: APP_GUARD, useClass: type });

interface UsualParts {
  helmet?: boolean;
  throttle?: 'memory' | 'redis';
  jwt?: boolean;
  roles?: boolean;
  validation?: boolean;
  route: RouteDecorators;
}

function partsFor(scenario: ScenarioDef): UsualParts | string {
  switch (scenario.id) {
    case 'public-get':
      return { helmet: true, jwt: true, route: { method: [UsualPublic()] } };
    case 'jwt-get':
    case 'jwt-get-cold':
      return { jwt: true, route: {} };
    case 'jwt-role-owner-get':
      return { jwt: true, roles: true, route: { method: [UsualRoles(['user']), UseGuards(UsualOwnershipGuard)] } };
    case 'redis-rate-get':
      return { throttle: 'redis', route: {} };
    case 'validated-post':
      return { validation: true, route: {} };
    case 'idempotent-replay':
    case 'idempotent-first':
      return 'no idempotency layer in the usual stack';
    case 'api-key-get':
      return { route: { method: [UseGuards(UsualApiKeyGuard)] } };
    case 'full-memory':
      return { helmet: true, throttle: 'memory', jwt: true, roles: true, route: { method: [UsualRoles(['user'])] } };
    case 'full-redis':
      return { helmet: true, throttle: 'redis', jwt: true, roles: true, route: { method: [UsualRoles(['user'])] } };
    case 'graphql-query':
      return 'served by graphql-stack.ts';
    default: {
      const never: never = scenario.id;
      return `unknown scenario ${String(never)}`;
    }
  }
}

/** Builds the usual-stack app for one scenario. */
export function buildUsual(scenario: ScenarioDef, ctx: BuildContext): StackBuild {
  const parts = partsFor(scenario);
  if (typeof parts === 'string') return { status: 'not-applicable', reason: parts };
  const imports: unknown[] = [];
  const providers: Provider[] = [BenchDataService, UsualOwnershipGuard, UsualApiKeyGuard];
  // Global guards run in registration order: throttle first (as @nestjs/throttler's docs put
  // it), then authentication, then roles.
  if (parts.throttle) {
    imports.push(throttler(parts.throttle === 'redis' ? ctx.redisUrl : undefined));
    providers.push(guard(ThrottlerGuard));
  }
  if (parts.jwt) {
    imports.push(jwtModule());
    providers.push(guard(UsualJwtGuard));
  }
  if (parts.roles) providers.push(guard(UsualRolesGuard));
  if (parts.validation) {
    providers.push({
      provide: APP_PIPE,
      useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
    });
  }

  @Module({ imports: imports as Type[], controllers: [controllerFor(scenario, parts.route)], providers })
  class UsualBenchModule {}

  return {
    status: 'ok',
    module: UsualBenchModule,
    setup: parts.helmet ? (app) => app.use(helmet()) : undefined,
    headers: scenario.credential === 'api-key' ? { 'x-api-key': USUAL_API_KEY } : {},
  };
}
