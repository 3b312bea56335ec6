/**
 * The parts of an OpenAPI 3 document the enrichment reads and writes, structurally typed so that
 * `@nestjs/swagger`'s `OpenAPIObject` fits without this package depending on its types.
 *
 * @publicApi
 */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, object>;
  components?: {
    securitySchemes?: Record<string, unknown>;
    schemas?: Record<string, unknown>;
  };
}

/** One operation, as far as the enrichment touches it. @internal */
export interface OpenApiOperation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<Record<string, unknown>>;
  responses?: Record<string, unknown>;
  deprecated?: boolean;
  [key: string]: unknown;
}

/** Names of the security schemes the enrichment adds to `components.securitySchemes`. @publicApi */
export const RAMPART_SECURITY_SCHEMES = {
  jwt: 'rampart-jwt',
  apiKey: 'rampart-api-key',
  signature: 'rampart-signature',
} as const;

/** Names of the error body schemas the enrichment adds to `components.schemas`. @publicApi */
export const RAMPART_ERROR_SCHEMA = 'RampartError';
