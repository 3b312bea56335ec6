import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

/** What is kept of a document's attachment (the bytes themselves are not stored by the sample). */
export interface AttachmentInfo {
  filename: string;
  mimetype: string;
  size: number;
}

/** A document owned by the user who created it. */
export interface DocumentRecord {
  id: string;
  ownerId: string;
  title: string;
  body: string;
  department: string;
  confidential: boolean;
  /** Incremented by every update; shown to editors and admins only (`@Expose({ groups })`). */
  revision: number;
  attachment?: AttachmentInfo;
  /** Never returned to clients: the response denylist strips it even without a DTO. */
  internalNotes: string;
  createdAt: string;
  updatedAt: string;
}

/** In-memory document store of the sample app. */
@Injectable()
export class DocumentsService {
  private readonly documents = new Map<string, DocumentRecord>();

  create(
    ownerId: string,
    department: string,
    input: { title: string; body: string; confidential?: boolean },
  ): DocumentRecord {
    const now = new Date().toISOString();
    const doc: DocumentRecord = {
      id: randomUUID(),
      ownerId,
      title: input.title,
      body: input.body,
      department,
      confidential: input.confidential ?? false,
      revision: 1,
      internalNotes: `created by ${ownerId}`,
      createdAt: now,
      updatedAt: now,
    };
    this.documents.set(doc.id, doc);
    return doc;
  }

  findById(id: string): DocumentRecord | undefined {
    return this.documents.get(id);
  }

  /** Documents matching a filter (e.g. the owner filter from the authorization layer). */
  findAll(filter: Partial<Pick<DocumentRecord, 'ownerId'>> = {}): DocumentRecord[] {
    return [...this.documents.values()].filter((d) => filter.ownerId === undefined || d.ownerId === filter.ownerId);
  }

  update(id: string, patch: { title?: string; body?: string }): DocumentRecord | undefined {
    const doc = this.documents.get(id);
    if (!doc) return undefined;
    if (patch.title !== undefined) doc.title = patch.title;
    if (patch.body !== undefined) doc.body = patch.body;
    return this.touch(doc);
  }

  attach(id: string, attachment: AttachmentInfo): DocumentRecord | undefined {
    const doc = this.documents.get(id);
    if (!doc) return undefined;
    doc.attachment = attachment;
    return this.touch(doc);
  }

  private touch(doc: DocumentRecord): DocumentRecord {
    doc.revision += 1;
    doc.updatedAt = new Date().toISOString();
    return doc;
  }

  remove(id: string): boolean {
    return this.documents.delete(id);
  }
}
