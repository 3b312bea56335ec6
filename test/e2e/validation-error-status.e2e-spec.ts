import { Body, Controller, Get, Module, Param, Post, Query } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { PaginationPipe, Public, SecurityModule, type Pagination, type ValidationErrorStatus } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

class NoteDto {
  @IsString()
  @MaxLength(10)
  title!: string;
}

class ListQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  minSize?: number;
}

@Public()
@Controller('s')
class StatusController {
  @Post('notes')
  create(@Body() dto: NoteDto) {
    return dto;
  }

  @Get('notes')
  list(@Query() query: ListQueryDto) {
    return query;
  }

  @Get('notes/:id')
  one(@Param('id') id: number) {
    return { id };
  }

  @Get('page')
  page(@Query(PaginationPipe) page: Pagination) {
    return page;
  }
}

function appWith(errorStatus?: ValidationErrorStatus) {
  @Module({
    imports: [
      SecurityModule.forRoot({
        rateLimit: { enabled: false },
        events: { logger: false },
        validation: errorStatus === undefined ? {} : { errorStatus },
      }),
    ],
    controllers: [StatusController],
  })
  class ErrorStatusAppModule {}
  return ErrorStatusAppModule;
}

const CASES: Array<[string, string, RequestInit, string]> = [
  [
    'a body',
    '/s/notes',
    {
      method: 'POST',
      body: JSON.stringify({ title: 'far too long a title' }),
      headers: { 'content-type': 'application/json' },
    },
    'title',
  ],
  ['a query DTO', '/s/notes?minSize=0', {}, 'minSize'],
  ['a typed path parameter', '/s/notes/abc', {}, 'id'],
  ['PaginationPipe', '/s/page?limit=x', {}, 'limit'],
];

describe.each(ADAPTERS)('validation.errorStatus (%s)', (adapter) => {
  describe.each([
    [undefined, 400, 'Bad Request'],
    [400 as const, 400, 'Bad Request'],
    [422 as const, 422, 'Unprocessable Entity'],
  ])('errorStatus %p', (errorStatus, status, error) => {
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      ({ app, url } = await bootApp(adapter, appWith(errorStatus)));
    });
    afterAll(() => app.close());

    it.each(CASES)(`refuses %s with ${status} and the same body shape`, async (_what, path, init, property) => {
      const res = await fetch(`${url}${path}`, init);
      expect(res.status).toBe(status);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        statusCode: status,
        error,
        code: 'VALIDATION_FAILED',
        message: 'Validation failed',
      });
      expect(body.errors).toEqual([expect.objectContaining({ property })]);
    });

    it('still accepts valid input', async () => {
      const res = await fetch(`${url}/s/notes`, {
        method: 'POST',
        body: JSON.stringify({ title: 'ok' }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ title: 'ok' });
    });
  });
});
