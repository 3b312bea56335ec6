import { Expose } from 'class-transformer';

/** What clients see of a document (allowlist): `internalNotes` is never exposed. */
export class DocumentResponse {
  @Expose() id!: string;
  @Expose() ownerId!: string;
  @Expose() title!: string;
  @Expose() body!: string;
  @Expose() department!: string;
  @Expose() confidential!: boolean;
  @Expose() createdAt!: string;
  @Expose() updatedAt!: string;
}
