import type { Type } from '@nestjs/common';

/**
 * What `@ValidatedHeaders(Dto)` hands to the pipes: the DTO class and the request's headers
 * (names lower-cased by Node and Fastify). `SecurityValidationPipe` turns it into a validated DTO;
 * a handler never sees it unless no validation pipe ran (then the decorator's own check refuses).
 *
 * @internal
 */
export class HeaderInput {
  constructor(
    readonly dto: Type<object>,
    readonly headers: Readonly<Record<string, string | string[] | undefined>>,
  ) {
    Object.freeze(this);
  }
}

/**
 * The header a DTO property reads: a name with a dash is the header name itself
 * (`'x-api-version'`, matched case-insensitively); any other name is camelCase for a dashed
 * header (`xApiVersion` → `x-api-version`, `tenantId` → `tenant-id`, `authorization` →
 * `authorization`).
 *
 * @internal
 */
export function headerNameOf(property: string): string {
  if (property.includes('-')) return property.toLowerCase();
  return property.replace(/[A-Z]/g, (c, at: number) => `${at === 0 ? '' : '-'}${c.toLowerCase()}`);
}
