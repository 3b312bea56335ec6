import { type INestApplication, Module } from '@nestjs/common';
import { createOpenApiDocument } from 'nestjs-rampart';
import { ApiDocs } from './api-docs.service';
import { DocsController } from './docs.controller';

/** Whether the sample serves its API docs: everywhere but production. */
export function docsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV !== 'production';
}

/** `/openapi.json` and Swagger UI at `/docs` (imported by AppModule outside production). */
@Module({ controllers: [DocsController], providers: [ApiDocs] })
export class DocsModule {}

/**
 * Builds the OpenAPI document (`@nestjs/swagger`, enriched with what nestjs-rampart enforces) and
 * publishes it at `/openapi.json`. Call after `NestFactory.create`, before `listen`. Does nothing
 * when DocsModule is not imported (production).
 */
export function setupApiDocs(app: INestApplication): void {
  if (!docsEnabled()) return;
  const docs = app.get(ApiDocs, { strict: false });
  docs.publish(createOpenApiDocument(app, { title: 'nestjs-rampart sample API', version: '1.0.0' }));
}
