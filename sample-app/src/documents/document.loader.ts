import { Injectable } from '@nestjs/common';
import { SecurityResource, type ResourceLoader } from 'nestjs-rampart';
import { DocumentsService, type DocumentRecord } from './documents.service';

/**
 * Loads documents for `@Owns('document')` and `@Policy(..., { resource: 'document' })`: a
 * regular provider, so it can inject the service (or a repository).
 */
@SecurityResource('document')
@Injectable()
export class DocumentLoader implements ResourceLoader<DocumentRecord> {
  readonly ownerField = 'ownerId';

  constructor(private readonly documents: DocumentsService) {}

  load(id: string): DocumentRecord | undefined {
    return this.documents.findById(id);
  }
}
