import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** `POST /partner/transfers` body: signed by the partner, then validated like any other body. */
export class TransferDto {
  @IsString()
  @Matches(/^acct_[A-Za-z0-9]{1,32}$/)
  to!: string;

  /** Minor units (cents). */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  amount!: number;
}
