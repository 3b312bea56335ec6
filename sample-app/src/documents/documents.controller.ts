import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import {
  Audit,
  AuthorizationService,
  CurrentPrincipal,
  LoadedResource,
  Owns,
  PaginationPipe,
  Permissions,
  Policy,
  RequireMfa,
  Serialize,
  UploadValidationPipe,
  type Pagination,
  type Principal,
} from 'nestjs-rampart';
import { AttachmentDto } from './dto/attachment.dto';
import { DocumentsService, type DocumentRecord } from './documents.service';
import { CreateDocumentDto } from './dto/create-document.dto';
import { DocumentResponse } from './dto/document.response';
import { UpdateDocumentDto } from './dto/update-document.dto';

/**
 * Documents owned by their creator. Every `:id` route loads the document once through
 * `@Owns('document')`: someone else's document answers 404, exactly like a missing one.
 * Responses go through `@Serialize(DocumentResponse)`: only its exposed fields, `revision` only
 * for editors and admins.
 */
@Serialize(DocumentResponse)
@Controller('documents')
export class DocumentsController {
  /** Attachments: at most 32 kB, PNG, JPEG or PDF, and the bytes must really be one. */
  private readonly attachments = new UploadValidationPipe({
    maxBytes: 32 * 1024,
    allowedTypes: ['image/png', 'image/jpeg', 'application/pdf'],
  });

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

  /**
   * The caller's documents; all documents for admins (ownership override role). One page at a
   * time: `?limit` (default 20, capped at 100) with `?page` or `?offset`; anything else is a 400.
   */
  @Permissions('documents:read')
  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query(PaginationPipe) page: Pagination): DocumentRecord[] {
    const mine = this.documents.findAll(this.authz.ownerFilter(principal, 'document'));
    return mine.slice(page.offset, page.offset + page.limit);
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

  /**
   * Attaches a file sent as base64 JSON. Owners only; 413 above 32 kB, 415 for a type not
   * allowed or for content that is not what it claims (a script named `logo.png`).
   */
  @Permissions('documents:write')
  @Owns('document', { param: 'id', overrideRoles: [] })
  @Put(':id/attachment')
  async attach(
    @LoadedResource() doc: DocumentRecord,
    @Body() input: AttachmentDto,
  ): Promise<DocumentRecord | undefined> {
    const buffer = Buffer.from(input.contentBase64, 'base64');
    await this.attachments.check({
      mimetype: input.mimetype,
      size: buffer.length,
      buffer,
      originalname: input.filename,
    });
    return this.documents.attach(doc.id, { filename: input.filename, mimetype: input.mimetype, size: buffer.length });
  }

  /** Deleting needs a TOTP step-up from the last 5 minutes (`POST /auth/mfa/verify`). */
  @Permissions('documents:delete')
  @Owns('document', { param: 'id' })
  @RequireMfa({ maxAgeSec: 300 })
  @Audit('document.delete')
  @Delete(':id')
  @HttpCode(204)
  remove(@LoadedResource() doc: DocumentRecord): void {
    this.documents.remove(doc.id);
  }
}
