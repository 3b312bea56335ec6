import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** Body of `PATCH /documents/:id`. Ownership, department and notes cannot be changed. */
export class UpdateDocumentDto {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title?: string;

  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  body?: string;
}
