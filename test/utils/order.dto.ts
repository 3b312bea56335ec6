import { IsEmail, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';

/**
 * The benchmark's validated body (`CreateOrderDto` in bench/server/routes.ts), declared the same
 * way, for the validation specs. The benchmark keeps its own copy: it is compiled on its own.
 */
export class OrderDto {
  @IsString()
  @Length(1, 64)
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;

  @IsEmail()
  email!: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  note?: string;
}
