import { Body, Controller, Get, Module, Param, Post, Query } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import fc from 'fast-check';
import { PaginationPipe, Public, SecurityModule, type Pagination, type SecurityEvent } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

const events: SecurityEvent[] = [];
/** Every name `{}` inherits; `__proto__` is sent as a JSON own key like the others. */
const INHERITED_NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__'])];
/** validation.forbiddenKeys by default: refused by the payload inspector before any DTO. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

class AddressDto {
  @IsString()
  @MaxLength(100)
  city!: string;
}

class CreateUserDto {
  @IsString()
  @MaxLength(50)
  name!: string;

  @IsString()
  password!: string;

  @IsOptional()
  @IsNumber()
  age?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tags?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5000)
  @IsString({ each: true })
  @MaxLength(5, { each: true })
  codes?: string[];

  @IsOptional()
  @IsString()
  bio?: string;
}

/** Typed as a nested DTO but checked with @IsObject() only: class-validator would not look inside. */
class LooseProfileDto {
  @IsString()
  @MaxLength(50)
  name!: string;

  @IsOptional()
  @IsObject()
  address?: AddressDto;
}

let looseRuns = 0;

class SearchQueryDto {
  @IsOptional()
  @IsString()
  q?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  minAge?: number;
}

@Public()
@Controller('v')
class ValidationController {
  @Post('users')
  create(@Body() dto: CreateUserDto) {
    return {
      isDto: dto instanceof CreateUserDto,
      nestedIsDto: dto.address ? dto.address instanceof AddressDto : null,
      keys: Object.keys(dto).sort(),
      city: dto.address?.city,
    };
  }

  @Post('loose')
  loose(@Body() dto: LooseProfileDto) {
    looseRuns += 1;
    return dto;
  }

  @Post('raw')
  raw(@Body() body: Record<string, unknown>) {
    return { keys: Object.keys(body) };
  }

  @Get('items/:id')
  item(@Param('id') id: number, @Query('verbose') verbose?: boolean) {
    return { id, type: typeof id, verbose: verbose ?? null };
  }

  @Get('search')
  search(@Query() query: SearchQueryDto) {
    return query;
  }

  @Get('named')
  named(@Query('name') name?: string) {
    return { name: name ?? null };
  }

  @Get('page')
  page(@Query(PaginationPipe) page: Pagination) {
    return page;
  }
}

@Module({
  imports: [
    SecurityModule.forRoot({
      rateLimit: { enabled: false },
      events: { logger: false, sinks: [(e) => events.push(e)] },
      validation: { maxPayloadBytes: 256 * 1024 },
    }),
  ],
  controllers: [ValidationController],
})
class ValidationAppModule {}

interface ErrorBody {
  statusCode: number;
  code: string;
  message: unknown;
  errors?: Array<{ property: string; constraints: Record<string, string> }>;
}

describe.each(ADAPTERS)('validation hardening (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, ValidationAppModule, undefined, (a) => {
      // Express's body-parser defaults to 100 kB; align it with validation.maxPayloadBytes (Fastify: 1 MiB).
      if (adapter === 'express') (a as NestExpressApplication).useBodyParser('json', { limit: 1024 * 1024 });
    }));
  });
  afterAll(() => app.close());

  const post = (path: string, body: string, contentType: string | null = 'application/json') =>
    fetch(`${url}${path}`, {
      method: 'POST',
      body,
      headers: contentType ? { 'content-type': contentType } : {},
    });
  const json = (path: string, value: unknown) => post(path, JSON.stringify(value));

  it('accepts a valid body and hands the handler DTO instances (nested too)', async () => {
    const res = await json('/v/users', { name: 'Ada', password: 'pw', age: 36, address: { city: 'London' } });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      isDto: true,
      nestedIsDto: true,
      keys: ['address', 'age', 'name', 'password'],
      city: 'London',
    });
  });

  it.each([
    ['role', { role: 'admin' }],
    ['isVerified', { isVerified: true }],
    ['address.isAdmin', { address: { city: 'Paris', isAdmin: true } }],
  ])('refuses mass assignment of %s with 400 naming the property', async (path, extra) => {
    const res = await json('/v/users', { name: 'Eve', password: 'pw', ...extra });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors).toEqual([
      { property: path, constraints: { whitelistValidation: expect.stringContaining('should not exist') } },
    ]);
  });

  it('fails closed on a nested DTO class-validator would not walk into (no nested mass assignment)', async () => {
    const before = looseRuns;
    const res = await json('/v/loose', { name: 'Eve', address: { city: 'Paris', isAdmin: true } });
    expect(res.status).toBe(500);
    expect(((await res.json()) as ErrorBody).code).toBe('INTERNAL_ERROR');
    expect(looseRuns).toBe(before);
  });

  it('lists every offending property and never echoes a sensitive value', async () => {
    const res = await json('/v/users', { name: 42, password: 12345 });
    expect(res.status).toBe(400);
    const text = await res.text();
    const body = JSON.parse(text) as ErrorBody;
    expect(body.errors?.map((e) => e.property).sort()).toEqual(['name', 'password']);
    expect(body.errors?.find((e) => e.property === 'password')?.constraints).toEqual({
      isString: 'password is invalid',
    });
    expect(text).not.toContain('12345');
    expect(events.some((e) => e.type === 'VALIDATION_FAILED' && e.reason === 'constraints_failed')).toBe(true);
  });

  it.each([
    ['__proto__', '{"name":"x","password":"p","__proto__":{"isAdmin":true}}'],
    ['constructor', '{"name":"x","password":"p","constructor":{"prototype":{"isAdmin":true}}}'],
    ['nested prototype', '{"name":"x","password":"p","address":{"city":"c","prototype":1}}'],
  ])('refuses prototype-pollution keys (%s) with 400', async (_name, raw) => {
    const res = await post('/v/raw', raw);
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('refuses a body over maxPayloadBytes with 413 before it is used', async () => {
    const res = await json('/v/raw', { blob: 'x'.repeat(300 * 1024) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['missing', null],
    ['form', 'application/x-www-form-urlencoded'],
  ])('refuses a JSON body with a %s Content-Type with 415', async (_name, type) => {
    const res = await post('/v/users', JSON.stringify({ name: 'a', password: 'b' }), type);
    expect(res.status).toBe(415);
    expect(((await res.json()) as ErrorBody).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a top-level JSON primitive on both adapters', async () => {
    expect((await post('/v/raw', 'null')).status).toBe(400);
    expect((await post('/v/raw', '42')).status).toBe(400);
  });

  it('refuses nesting deeper than maxDepth with 400', async () => {
    const deep = '{"a":'.repeat(40) + '1' + '}'.repeat(40);
    const res = await post('/v/raw', deep);
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(body.errors?.[0].constraints ?? {})).toEqual(['maxDepth']);
  });

  it('refuses non-finite numbers (1e999 parses to Infinity) and NaN literals with 400', async () => {
    const inf = await post('/v/users', '{"name":"a","password":"b","age":1e999}');
    expect(inf.status).toBe(400);
    expect(((await inf.json()) as ErrorBody).errors?.[0]).toEqual({
      property: 'age',
      constraints: { isFinite: 'age must be a finite number' },
    });
    const nan = await post('/v/users', '{"name":"a","password":"b","age":NaN}');
    expect(nan.status).toBe(400);
  });

  it('refuses NUL bytes in body strings and in the URL', async () => {
    const body = await json('/v/users', { name: 'a\u0000b', password: 'p' });
    expect(body.status).toBe(400);
    const query = await fetch(`${url}/v/named?name=a%00b`);
    expect(query.status).toBe(400);
  });

  it('applies default bounds to strings and arrays that declare none, and honours declared ones', async () => {
    const long = await json('/v/users', { name: 'a', password: 'p', bio: 'x'.repeat(10_001) });
    expect(long.status).toBe(400);
    expect(((await long.json()) as ErrorBody).errors?.[0].property).toBe('bio');
    const many = await json('/v/users', { name: 'a', password: 'p', tags: Array.from({ length: 1001 }, () => 't') });
    expect(many.status).toBe(400);
    const declared = await json('/v/users', {
      name: 'a',
      password: 'p',
      codes: Array.from({ length: 2000 }, () => 'c'),
    });
    expect(declared.status).toBe(201);
  });

  it('converts and checks typed path and query params', async () => {
    const ok = await fetch(`${url}/v/items/42?verbose=true`);
    expect(await ok.json()).toEqual({ id: 42, type: 'number', verbose: true });
    expect((await fetch(`${url}/v/items/abc`)).status).toBe(400);
    expect((await fetch(`${url}/v/items/1?verbose=maybe`)).status).toBe(400);
    expect((await fetch(`${url}/v/named?name=a&name=b`)).status).toBe(400);
  });

  it('validates query DTOs the same way (unknown keys refused)', async () => {
    const ok = await fetch(`${url}/v/search?q=ada&minAge=3`);
    expect(await ok.json()).toEqual({ q: 'ada', minAge: 3 });
    const extra = await fetch(`${url}/v/search?q=ada&isAdmin=true`);
    expect(extra.status).toBe(400);
    const polluted = await fetch(`${url}/v/search?__proto__=x`);
    expect(polluted.status).toBe(400);
  });

  it.each(INHERITED_NAMES)(
    'refuses "%s" nested in a DTO and in a query DTO like any undeclared property',
    async (name) => {
      const nested = await post(
        '/v/users',
        `{"name":"a","password":"p","address":{${JSON.stringify(name)}:{"isAdmin":true},"city":"c"}}`,
      );
      const query = await fetch(`${url}/v/search?q=a&${encodeURIComponent(name)}=x`);
      for (const [res, path] of [
        [nested, `address.${name}`],
        [query, name],
      ] as const) {
        expect(res.status).toBe(400);
        const body = (await res.json()) as ErrorBody;
        if (name === '__proto__' && (res === query || adapter === 'fastify')) {
          // Refused before the pipe: a __proto__ query key at the edge, a __proto__ JSON key by Fastify's parser (a parse error: MALFORMED_BODY).
          expect(body.code).toBe(res === query ? 'VALIDATION_FAILED' : 'MALFORMED_BODY');
          continue;
        }
        expect(body.code).toBe('VALIDATION_FAILED');
        expect(body.errors).toEqual([
          {
            property: path,
            constraints: FORBIDDEN_KEYS.has(name)
              ? { forbiddenKey: `${path} is not an allowed property name` }
              : { whitelistValidation: `property ${name} should not exist` },
          },
        ]);
      }
    },
  );

  it('paginates with a default page size and caps limit', async () => {
    expect(await (await fetch(`${url}/v/page`)).json()).toEqual({ limit: 20, offset: 0, page: 1 });
    expect(await (await fetch(`${url}/v/page?limit=5000&page=3`)).json()).toEqual({ limit: 100, offset: 200, page: 3 });
    expect((await fetch(`${url}/v/page?limit=-1`)).status).toBe(400);
    expect((await fetch(`${url}/v/page?offset=1e3`)).status).toBe(400);
  });

  it('never answers 500 to arbitrary JSON (property-based)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        const res = await json('/v/users', value);
        expect(res.status).toBeLessThan(500);
        expect([201, 400, 413]).toContain(res.status);
        const raw = await post('/v/raw', JSON.stringify(value));
        expect(raw.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    // The app is still alive and answering after the run.
    expect((await json('/v/users', { name: 'a', password: 'b' })).status).toBe(201);
  });
});
