import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** Body of `POST /documents`. */
export class CreateDocumentDto {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title!: string;

  @IsString()
  @MaxLength(10_000)
  body!: string;

  @IsOptional()
  @IsBoolean()
  confidential?: boolean;
}
