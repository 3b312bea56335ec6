import { Body, Controller, Get, type INestApplication, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiResponse, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { Auth } from '../../auth/auth.decorator';
import { Public } from '../../auth/public.decorator';
import { Owns } from '../../authz/owns.decorator';
import { Idempotent } from '../../idempotency/idempotent.decorator';
import { SecurityModule } from '../../security.module';
import { createOpenApiDocument, loadSwagger } from './create-openapi-document';
import { enrichOpenApiDocument } from './enrich-openapi';
import type { OpenApiDocument } from './openapi.types';

class NoteDto {
  @IsString()
  text!: string;
}

@Auth('api-key')
@Controller('notes')
class NotesController {
  @Public()
  @Get()
  list(): string[] {
    return [];
  }

  @Owns('note', { param: 'id', notOwnerStatus: 404 })
  @ApiResponse({ status: 404, description: 'No such note (documented by hand)' })
  @Get(':id')
  one(@Param('id') id: string): { id: string } {
    return { id };
  }

  // Reads its id through the ownership loader, not @Param(): Swagger documents no parameter.
  @Owns('note', { param: 'id', notOwnerStatus: 404 })
  @Get(':id/history')
  history(): string[] {
    return [];
  }

  @Idempotent({ required: false })
  @Post()
  create(@Body() body: NoteDto): NoteDto {
    return body;
  }
}

@Module({
  imports: [
    SecurityModule.forRoot({
      events: { logger: false },
      inventory: { printTable: false },
      errors: { format: 'problem+json' },
      rateLimit: { headers: 'legacy' },
      auth: { apiKeys: { pepper: 'p'.repeat(32), header: 'x-notes-key' } },
      authorization: { resources: { note: { load: (id: string) => ({ id, ownerId: 'u1' }) } } },
    }),
  ],
  controllers: [NotesController],
})
class NotesModule {}

type Doc = OpenApiDocument & { paths: Record<string, Record<string, unknown>>; info?: unknown };
type Operation = {
  security?: unknown;
  parameters?: Array<Record<string, unknown>>;
  responses: Record<string, { description: string; headers?: object; content?: Record<string, unknown> }>;
};

describe('enrichOpenApiDocument', () => {
  let app: INestApplication;
  let raw: Doc;
  let doc: Doc;
  const op = (path: string, method: string) => doc.paths[path]?.[method] as Operation;

  beforeAll(async () => {
    app = await NestFactory.create(NotesModule, { logger: false });
    app.setGlobalPrefix('api/v2');
    await app.init();
    const swaggerDoc = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('Notes').build());
    // What users write: no cast between @nestjs/swagger's OpenAPIObject and ours.
    const enriched = enrichOpenApiDocument(app, swaggerDoc);
    raw = swaggerDoc as unknown as Doc;
    doc = enriched as unknown as Doc;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('matches operations under a global prefix and leaves the given document unchanged', () => {
    expect(Object.keys(doc.paths)).toEqual(['/api/v2/notes', '/api/v2/notes/{id}', '/api/v2/notes/{id}/history']);
    expect(op('/api/v2/notes', 'get').security).toEqual([]);
    expect(op('/api/v2/notes/{id}', 'get').security).toEqual([{ 'rampart-api-key': [] }]);
    expect((raw.paths['/api/v2/notes']?.get as Operation).security).toBeUndefined();
  });

  it('uses the configured error format, API-key header and legacy rate-limit headers', () => {
    const forbidden = op('/api/v2/notes/{id}', 'get').responses['401'];
    expect(forbidden.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/RampartError' } },
    });
    expect(doc.components?.schemas?.RampartError).toMatchObject({
      required: ['type', 'title', 'status', 'detail', 'code'],
    });
    expect(doc.components?.securitySchemes?.['rampart-api-key']).toMatchObject({ name: 'X-Notes-Key' });
    expect(doc.components?.securitySchemes).not.toHaveProperty('rampart-jwt');
    expect(Object.keys(op('/api/v2/notes', 'get').responses['429'].headers ?? {})).toEqual([
      'Retry-After',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ]);
  });

  it('keeps responses declared by hand and adds the ones the route can answer', () => {
    const one = op('/api/v2/notes/{id}', 'get').responses;
    expect(one['404'].description).toBe('No such note (documented by hand)');
    // notOwnerStatus 404 and no role: no 403 on this route
    expect(Object.keys(one).filter((s) => Number(s) >= 400)).toEqual(['400', '401', '404', '429']);
  });

  it('declares every templated path segment as a required path parameter, once', () => {
    const pathParameters = (path: string) => op(path, 'get').parameters?.filter((p) => p.in === 'path');
    expect((raw.paths['/api/v2/notes/{id}/history']?.get as Operation).parameters ?? []).toEqual([]);
    expect(pathParameters('/api/v2/notes/{id}/history')).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    // Declared by @Param() already: kept as Swagger wrote it, not doubled.
    expect(pathParameters('/api/v2/notes/{id}')).toHaveLength(1);
  });

  it('adds an optional Idempotency-Key where the key is not required', () => {
    expect(op('/api/v2/notes', 'post').parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    );
    expect(op('/api/v2/notes', 'post').responses).toHaveProperty('409');
    expect(op('/api/v2/notes', 'post').responses).toHaveProperty('422');
  });

  it('createOpenApiDocument builds and enriches in one call', () => {
    const built = createOpenApiDocument(app, { title: 'Notes', version: '2.0.0', description: 'Notes API' });
    expect((built as Doc).info).toEqual({ title: 'Notes', version: '2.0.0', description: 'Notes API', contact: {} });
    expect(op('/api/v2/notes/{id}', 'get').security).toEqual(
      ((built as Doc).paths['/api/v2/notes/{id}']?.get as Operation).security,
    );
  });

  it('says how to install @nestjs/swagger when it is missing', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@nestjs/swagger'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => loadSwagger('createOpenApiDocument()', missing)).toThrow(
      /^SecurityModule: createOpenApiDocument\(\) needs the package "@nestjs\/swagger", which is not installed\. Run `npm install @nestjs\/swagger`/,
    );
  });
});

describe('enrichOpenApiDocument with validation.errorStatus 422', () => {
  @Module({
    imports: [
      SecurityModule.forRoot({
        events: { logger: false },
        inventory: { printTable: false },
        validation: { errorStatus: 422 },
        auth: { apiKeys: { pepper: 'p'.repeat(32), header: 'x-notes-key' } },
        authorization: { resources: { note: { load: (id: string) => ({ id, ownerId: 'u1' }) } } },
      }),
    ],
    controllers: [NotesController],
  })
  class Notes422Module {}

  it('documents VALIDATION_FAILED under 422, beside the idempotency mismatch', async () => {
    const app = await NestFactory.create(Notes422Module, { logger: false });
    try {
      await app.init();
      const doc = enrichOpenApiDocument(
        app,
        SwaggerModule.createDocument(app, new DocumentBuilder().build()),
      ) as unknown as Doc;
      const one = (doc.paths['/notes/{id}']?.get as Operation).responses;
      expect(one).not.toHaveProperty('400');
      expect(one['422'].description).toBe('Unprocessable Entity: the input failed validation (`VALIDATION_FAILED`).');
      const create = (doc.paths['/notes']?.post as Operation).responses;
      expect(create['422'].description).toMatch(/VALIDATION_FAILED.*IDEMPOTENCY_KEY_MISMATCH/);
    } finally {
      await app.close();
    }
  });
});
