import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { graphqlFieldResources } from '../core/context/graphql-field.util';
import { getRequest } from '../core/context/get-request';
import { getSecurityState } from '../core/context/request-state';

/**
 * Injects the resource `@Owns()` or `@Policy()` loaded for this request, so the handler does not
 * load it again. Without an argument: the last resource loaded; with a type: that type's.
 *
 * @example
 * ```ts
 * @Owns('document')
 * @Patch(':id')
 * update(@LoadedResource() doc: DocumentRecord, @Body() patch: UpdateDocumentDto) {}
 * ```
 * @publicApi
 */
export const LoadedResource = createParamDecorator((resource: string | undefined, ctx: ExecutionContext): unknown => {
  const loaded = graphqlFieldResources(ctx) ?? getSecurityState(getRequest(ctx)).resources;
  if (!loaded) return undefined;
  if (resource !== undefined) return loaded.get(resource);
  let last: unknown;
  for (const value of loaded.values()) last = value;
  return last;
});
