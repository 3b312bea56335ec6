import type { INestApplication } from '@nestjs/common';
import { SecurityConfigError } from '../../core/errors/security-config.error';
import { enrichOpenApiDocument } from './enrich-openapi';
import type { OpenApiDocument } from './openapi.types';

/** What {@link createOpenApiDocument} takes. @publicApi */
export interface CreateOpenApiDocumentOptions {
  /** `info.title`. @default 'API' */
  title?: string;
  /** `info.version`. @default '1.0.0' */
  version?: string;
  /** `info.description`. @default undefined */
  description?: string;
}

/** The parts of `@nestjs/swagger` this module calls. */
interface SwaggerPackage {
  DocumentBuilder: new () => {
    setTitle(title: string): SwaggerPackage['DocumentBuilder']['prototype'];
    setVersion(version: string): SwaggerPackage['DocumentBuilder']['prototype'];
    setDescription(description: string): SwaggerPackage['DocumentBuilder']['prototype'];
    build(): object;
  };
  SwaggerModule: { createDocument(app: INestApplication, config: object): unknown };
}

/**
 * Loads the optional peer `@nestjs/swagger` when first needed, so apps without OpenAPI need not
 * install it.
 *
 * @internal
 */
export function loadSwagger(what: string, load: (name: string) => unknown = require): SwaggerPackage {
  try {
    return load('@nestjs/swagger') as SwaggerPackage;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw SecurityConfigError.create(
      what,
      'needs the package "@nestjs/swagger", which is not installed',
      'Run `npm install @nestjs/swagger` (11 for Nest 11, 12 for Nest 12)',
    );
  }
}

/**
 * Builds the OpenAPI document of the application with `@nestjs/swagger`
 * (`SwaggerModule.createDocument`) and enriches it with {@link enrichOpenApiDocument}. For more
 * control (servers, tags, your own schemes), build the document yourself and call
 * `enrichOpenApiDocument(app, document)`.
 *
 * The result is typed as {@link OpenApiDocument}; pass `OpenAPIObject` as the type argument to
 * hand it to `SwaggerModule.setup()`.
 *
 * @example
 * ```ts
 * const document = createOpenApiDocument<OpenAPIObject>(app, { title: 'Orders API', version: '2.1.0' });
 * SwaggerModule.setup('docs', app, document);
 * ```
 * @throws {SecurityConfigError} when `@nestjs/swagger` is not installed
 * @publicApi
 */
export function createOpenApiDocument<T extends OpenApiDocument = OpenApiDocument>(
  app: INestApplication,
  options: CreateOpenApiDocumentOptions = {},
): T {
  const { DocumentBuilder, SwaggerModule } = loadSwagger('createOpenApiDocument()');
  let builder = new DocumentBuilder().setTitle(options.title ?? 'API').setVersion(options.version ?? '1.0.0');
  if (options.description) builder = builder.setDescription(options.description);
  return enrichOpenApiDocument(app, SwaggerModule.createDocument(app, builder.build()) as T);
}
