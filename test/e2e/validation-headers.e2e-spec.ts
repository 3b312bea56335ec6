import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { Public, SecurityModule, ValidatedHeaders, type SecurityEvent } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

/** An API version header declared in camelCase, a tenant header declared by its own name. */
class ApiHeaders {
  @IsIn(['2024-01-01', '2025-06-01'])
  xApiVersion!: string;

  @IsUUID()
  'x-tenant-id'!: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  xPageSize?: number;
}

class ClientHeaders {
  @IsOptional()
  @IsString()
  @MaxLength(20)
  xClientName?: string;
}

class NoteDto {
  @IsString()
  title!: string;
}

const events: SecurityEvent[] = [];
const TENANT = '3f2b8c1e-9a4d-4e6f-8b1a-2c3d4e5f6a7b';

@Public()
@Controller('h')
class HeadersController {
  @Get('reports')
  reports(@ValidatedHeaders(ApiHeaders) headers: ApiHeaders) {
    return {
      isDto: headers instanceof ApiHeaders,
      keys: Object.keys(headers).sort(),
      version: headers.xApiVersion,
      tenant: headers['x-tenant-id'],
      pageSize: headers.xPageSize ?? null,
      pageSizeType: typeof headers.xPageSize,
    };
  }

  @Post('notes')
  create(@ValidatedHeaders(ClientHeaders) client: ClientHeaders, @Body() note: NoteDto) {
    return { client: client.xClientName ?? null, title: note.title };
  }
}

function appWith(validation: Record<string, unknown>) {
  @Module({
    imports: [
      SecurityModule.forRoot({
        rateLimit: { enabled: false },
        events: { logger: false, sinks: [(e) => events.push(e)] },
        validation,
      }),
    ],
    controllers: [HeadersController],
  })
  class HeadersAppModule {}
  return HeadersAppModule;
}

interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: unknown;
  errors?: Array<{ property: string; constraints: Record<string, string> }>;
}

describe.each(ADAPTERS)('@ValidatedHeaders (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, appWith({})));
  });
  afterAll(() => app.close());

  const get = (headers: Record<string, string>) => fetch(`${url}/h/reports`, { headers });

  it('hands the handler a DTO instance with only the declared headers, transformed', async () => {
    const res = await get({
      'X-Api-Version': '2025-06-01',
      'X-TENANT-ID': TENANT,
      'x-page-size': '25',
      'x-unrelated': 'ignored',
      cookie: 'a=b',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      isDto: true,
      keys: ['x-tenant-id', 'xApiVersion', 'xPageSize'],
      version: '2025-06-01',
      tenant: TENANT,
      pageSize: 25,
      pageSizeType: 'number',
    });
  });

  it('ignores headers the DTO does not declare instead of refusing them', async () => {
    const res = await get({ 'x-api-version': '2024-01-01', 'x-tenant-id': TENANT, 'x-admin': 'true' });
    expect(res.status).toBe(200);
  });

  it('refuses a missing or bad header like a body field, naming the header', async () => {
    events.length = 0;
    const res = await get({ 'x-api-version': '1999-01-01', 'x-page-size': '500' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: 'Validation failed',
    });
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { property: 'x-api-version', constraints: { isIn: expect.stringMatching(/^x-api-version must be one of/) } },
        { property: 'x-tenant-id', constraints: expect.objectContaining({ isUuid: expect.any(String) }) },
        {
          property: 'x-page-size',
          constraints: { max: expect.stringMatching(/^x-page-size must not be greater than 100/) },
        },
      ]),
    );
    expect(body.errors).toHaveLength(3);
    // Values are never echoed.
    expect(JSON.stringify(body)).not.toContain('1999-01-01');
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'VALIDATION_FAILED',
          details: expect.objectContaining({ source: 'headers', target: 'ApiHeaders' }),
        }),
      ]),
    );
  });

  it('applies the default string bound to header strings', async () => {
    const res = await fetch(`${url}/h/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-client-name': 'x'.repeat(21) },
      body: JSON.stringify({ title: 't' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.errors).toEqual([{ property: 'x-client-name', constraints: { maxLength: expect.any(String) } }]);
  });

  it('validates headers and body of one handler independently', async () => {
    const res = await fetch(`${url}/h/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-client-name': 'cli' },
      body: JSON.stringify({ title: 't' }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ client: 'cli', title: 't' });
  });
});

describe.each(ADAPTERS)('@ValidatedHeaders with validation.errorStatus 422 (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, appWith({ errorStatus: 422 })));
  });
  afterAll(() => app.close());

  it('answers 422 with the same body', async () => {
    const res = await fetch(`${url}/h/reports`, { headers: { 'x-api-version': 'nope', 'x-tenant-id': TENANT } });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      statusCode: 422,
      error: 'Unprocessable Entity',
      code: 'VALIDATION_FAILED',
      errors: [{ property: 'x-api-version', constraints: { isIn: expect.any(String) } }],
    });
  });
});

describe.each(ADAPTERS)('@ValidatedHeaders without the validation pipe (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, appWith({ enabled: false })));
  });
  afterAll(() => app.close());

  it('fails closed with a generic 500 instead of handing over unchecked headers', async () => {
    const res = await fetch(`${url}/h/reports`, { headers: { 'x-api-version': 'nope', 'x-tenant-id': 'x' } });
    expect(res.status).toBe(500);
    const body = (await res.json()) as ErrorBody;
    expect(body.code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(body)).not.toContain('nope');
    // Operators hear why, with the request's context.
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'INTERNAL_ERROR',
        reason: 'validation_disabled',
        route: '/h/reports',
        details: { source: 'headers', target: 'ApiHeaders' },
      }),
    );
  });
});
