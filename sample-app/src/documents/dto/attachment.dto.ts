import { IsBase64, IsString, Length, Matches, MaxLength } from 'class-validator';

/**
 * Body of `PUT /documents/:id/attachment`: a small file sent as base64 in JSON (works the same on
 * Express and Fastify, no multipart parser needed). The declared type is checked against the
 * file's magic bytes by `UploadValidationPipe`.
 */
export class AttachmentDto {
  @IsString()
  @Length(1, 200)
  @Matches(/^[\w. -]+$/, { message: 'filename may only contain letters, digits, spaces, dots, dashes and underscores' })
  filename!: string;

  @IsString()
  @MaxLength(100)
  mimetype!: string;

  /** 64 000 base64 characters: a little under 48 kB of file, within Express's 100 kB JSON limit. */
  @IsBase64()
  @MaxLength(64_000)
  contentBase64!: string;
}
