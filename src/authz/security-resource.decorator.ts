import { SetMetadata } from '@nestjs/common';
import { SECURITY_RESOURCE_KEY } from './authorization.constants';

/**
 * Registers an injectable class as the {@link ResourceLoader} of a resource type, so it can use
 * dependency injection. Discovered at boot; two loaders for one type fail at boot. Add the class
 * to a module's `providers` as usual.
 *
 * @example
 * ```ts
 * @SecurityResource('document')
 * @Injectable()
 * export class DocumentLoader implements ResourceLoader<DocumentRecord> {
 *   constructor(private readonly documents: DocumentsService) {}
 *   load(id: string) { return this.documents.findById(id); }
 * }
 * ```
 * @publicApi
 */
export const SecurityResource = (resource: string): ClassDecorator => SetMetadata(SECURITY_RESOURCE_KEY, resource);
