import { Body, Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import {
  AuthorizationService,
  CurrentPrincipal,
  LoadedResource,
  Owns,
  Permissions,
  Policy,
  Serialize,
  type Principal,
} from 'nestjs-rampart';
import { DocumentsService, type DocumentRecord } from './documents.service';
import { CreateDocumentDto } from './dto/create-document.dto';
import { DocumentResponse } from './dto/document.response';
import { UpdateDocumentDto } from './dto/update-document.dto';

/**
 * Documents owned by their creator. Every `:id` route loads the document once through
 * `@Owns('document')`: someone else's document answers 404, exactly like a missing one.
 */
@Serialize(DocumentResponse)
@Controller('documents')
export class DocumentsController {
  constructor(
    private readonly documents: DocumentsService,
    private readonly authz: AuthorizationService,
  ) {}

  @Permissions('documents:write')
  @Post()
  create(@CurrentPrincipal() principal: Principal, @Body() input: CreateDocumentDto): DocumentRecord {
    const department = typeof principal.claims.department === 'string' ? principal.claims.department : 'none';
    return this.documents.create(principal.id, department, input);
  }

  /** The caller's documents; all documents for admins (ownership override role). */
  @Permissions('documents:read')
  @Get()
  list(@CurrentPrincipal() principal: Principal): DocumentRecord[] {
    return this.documents.findAll(this.authz.ownerFilter(principal, 'document'));
  }

  @Permissions('documents:read')
  @Owns('document', { param: 'id' })
  @Get(':id')
  get(@LoadedResource() doc: DocumentRecord): DocumentRecord {
    return doc;
  }

  /** Read access by policy: owner, or same department and not confidential, or admin. */
  @Permissions('documents:read')
  @Policy('document.read', { resource: 'document', param: 'id' })
  @Get(':id/shared')
  shared(@LoadedResource('document') doc: DocumentRecord): DocumentRecord {
    return doc;
  }

  /** Owners only: admins may read and delete others' documents, not rewrite them. */
  @Permissions('documents:write')
  @Owns('document', { param: 'id', overrideRoles: [] })
  @Patch(':id')
  update(@LoadedResource() doc: DocumentRecord, @Body() patch: UpdateDocumentDto): DocumentRecord | undefined {
    return this.documents.update(doc.id, patch);
  }

  @Permissions('documents:delete')
  @Owns('document', { param: 'id' })
  @Delete(':id')
  @HttpCode(204)
  remove(@LoadedResource() doc: DocumentRecord): void {
    this.documents.remove(doc.id);
  }
}
