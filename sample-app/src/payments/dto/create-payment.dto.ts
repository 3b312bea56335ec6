import { IsIn, IsInt, Max, Min } from 'class-validator';

/** `POST /payments` body. Anything else in the body (`status`, `payerId`...) is refused with 400. */
export class CreatePaymentDto {
  /** Amount in minor units (cents). */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  amount!: number;

  @IsIn(['EUR', 'USD', 'GBP'])
  currency!: string;
}
