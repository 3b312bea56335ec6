import { Expose, Type } from 'class-transformer';

/** What clients see of an attachment. */
export class AttachmentResponse {
  @Expose() filename!: string;
  @Expose() mimetype!: string;
  @Expose() size!: number;
}

/**
 * What clients see of a document (allowlist): `internalNotes` is never exposed, and `revision`
 * only to callers whose roles include `editor` (editors and admins): role-based fields.
 */
export class DocumentResponse {
  @Expose() id!: string;
  @Expose() ownerId!: string;
  @Expose() title!: string;
  @Expose() body!: string;
  @Expose() department!: string;
  @Expose() confidential!: boolean;
  @Expose({ groups: ['editor'] }) revision!: number;
  @Expose() @Type(() => AttachmentResponse) attachment?: AttachmentResponse;
  @Expose() createdAt!: string;
  @Expose() updatedAt!: string;
}
