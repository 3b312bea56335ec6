import { Body, Controller, Get, Module, Post, Query } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsIn, IsOptional, IsString, MinLength, ValidateNested } from 'class-validator';
import { Public, SecurityModule, ValidatedHeaders, type ValidationOptions } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

class CityDto {
  @IsIn(['Malmö', 'Zürich'])
  name!: string;
}

class ProfileDto {
  @IsString()
  @MinLength(1)
  nickname!: string;

  @IsOptional()
  @IsString({ each: true })
  aliases?: string[];

  @IsOptional()
  @ValidateNested()
  @Type(() => CityDto)
  city?: CityDto;
}

class SearchDto {
  @IsOptional()
  @IsString()
  @MinLength(2)
  q?: string;
}

class TenantHeaders {
  @IsIn(['acme'])
  xTenant!: string;
}

@Public()
@Controller('n')
class NormalizeController {
  @Post('profiles')
  create(@Body() dto: ProfileDto) {
    return dto;
  }

  @Get('search')
  search(@Query() query: SearchDto, @ValidatedHeaders(TenantHeaders) tenant: TenantHeaders) {
    return { q: query.q ?? null, tenant: tenant.xTenant };
  }
}

function appWith(validation: ValidationOptions) {
  @Module({
    imports: [SecurityModule.forRoot({ rateLimit: { enabled: false }, events: { logger: false }, validation })],
    controllers: [NormalizeController],
  })
  class NormalizeAppModule {}
  return NormalizeAppModule;
}

/** "Malmö" with o + combining diaeresis (NFD), as some keyboards and macOS file names send it. */
const MALMO_NFD = 'Malmo\u0308';

const post = (url: string, value: unknown) =>
  fetch(`${url}/n/profiles`, {
    method: 'POST',
    body: JSON.stringify(value),
    headers: { 'content-type': 'application/json' },
  });

describe.each(ADAPTERS)('string normalisation (%s)', (adapter) => {
  describe('off (the default)', () => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => ({ app, url } = await bootApp(adapter, appWith({}))));
    afterAll(() => app.close());

    it('validates strings as sent: a decomposed "Malmö" is not in the list, spaces are kept', async () => {
      const refused = await post(url, { nickname: 'ada', city: { name: MALMO_NFD } });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ errors: [{ property: 'city.name' }] });
      const kept = await post(url, { nickname: ' ada ' });
      expect(await kept.json()).toEqual({ nickname: ' ada ' });
    });
  });

  describe('trimStrings + normalizeUnicode NFC', () => {
    let app: INestApplication;
    let url: string;
    beforeAll(
      async () => ({ app, url } = await bootApp(adapter, appWith({ trimStrings: true, normalizeUnicode: 'NFC' }))),
    );
    afterAll(() => app.close());

    it('normalises body strings at every level before validation', async () => {
      const res = await post(url, {
        nickname: '  ada\n',
        aliases: [' a ', MALMO_NFD],
        city: { name: ` ${MALMO_NFD} ` },
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ nickname: 'ada', aliases: ['a', 'Malmö'], city: { name: 'Malmö' } });
    });

    it('lets constraints see the trimmed value: a blank nickname is refused', async () => {
      const res = await post(url, { nickname: '   ' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ property: 'nickname' }] });
    });

    it('normalises query and header DTOs alike', async () => {
      const res = await fetch(`${url}/n/search?q=${encodeURIComponent('  ok ')}`, {
        headers: { 'x-tenant': ' acme ' },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ q: 'ok', tenant: 'acme' });
      const blank = await fetch(`${url}/n/search?q=${encodeURIComponent(' a ')}`, { headers: { 'x-tenant': 'acme' } });
      expect(blank.status).toBe(400);
    });
  });
});

describe.each(ADAPTERS)('query caps at the edge (%s)', (adapter) => {
  const params = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');

  describe('defaults (2048 characters, 100 parameters)', () => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => ({ app, url } = await bootApp(adapter, appWith({}))));
    afterAll(() => app.close());

    it('accepts a query at the limits', async () => {
      const long = await fetch(`${url}/n/search?q=${'a'.repeat(2046)}`, { headers: { 'x-tenant': 'acme' } });
      expect(long.status).toBe(200);
      // Past the edge: the unknown path gets Nest's 404, not a query refusal.
      const many = await fetch(`${url}/nowhere?${params(100)}`);
      expect(many.status).toBe(404);
    });

    it.each([
      ['a routed path', '/n/search'],
      ['an unknown path (before routing)', '/nowhere'],
    ])('refuses a query over 2048 characters with 414 QUERY_TOO_LONG on %s', async (_what, path) => {
      const res = await fetch(`${url}${path}?q=${'a'.repeat(2047)}`);
      expect(res.status).toBe(414);
      expect(await res.json()).toEqual({
        statusCode: 414,
        error: 'URI Too Long',
        message: 'Query string is too long',
        code: 'QUERY_TOO_LONG',
        requestId: expect.any(String),
      });
    });

    it.each([
      ['a routed path', '/n/search'],
      ['an unknown path (before routing)', '/nowhere'],
    ])('refuses 101 parameters with 400 TOO_MANY_QUERY_PARAMETERS on %s', async (_what, path) => {
      const res = await fetch(`${url}${path}?${params(101)}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'Too many query parameters',
        code: 'TOO_MANY_QUERY_PARAMETERS',
        requestId: expect.any(String),
      });
    });
  });

  describe('maxQueryLength 500, maxQueryParameters 5', () => {
    let app: INestApplication;
    let url: string;
    beforeAll(
      async () => ({ app, url } = await bootApp(adapter, appWith({ maxQueryLength: 500, maxQueryParameters: 5 }))),
    );
    afterAll(() => app.close());

    it('applies the configured caps', async () => {
      const ok = await fetch(`${url}/n/search?q=${'a'.repeat(498)}`, { headers: { 'x-tenant': 'acme' } });
      expect(ok.status).toBe(200);
      const long = await fetch(`${url}/n/search?q=${'a'.repeat(499)}`);
      expect(long.status).toBe(414);
      const many = await fetch(`${url}/n/search?${params(6)}`);
      expect(many.status).toBe(400);
      expect(await many.json()).toMatchObject({ code: 'TOO_MANY_QUERY_PARAMETERS' });
    });
  });
});
