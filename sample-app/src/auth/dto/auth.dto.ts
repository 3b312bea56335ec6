import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';

/** `POST /auth/login` body. */
export class LoginDto {
  @IsString()
  @Length(1, 64)
  username!: string;

  @IsString()
  @Length(1, 256)
  password!: string;
}

/** `POST /auth/mfa/verify` body: the 6 digits are checked by `TotpService` (400 MFA_MALFORMED_CODE). */
export class MfaCodeDto {
  @IsString()
  @Length(1, 16)
  code!: string;
}

/** `POST /auth/refresh` body. */
export class RefreshDto {
  @IsString()
  @Length(16, 8192)
  refreshToken!: string;
}

/** `POST /auth/logout` body: the refresh token is optional (the session ends either way). */
export class LogoutDto {
  @IsOptional()
  @IsString()
  @Length(16, 8192)
  refreshToken?: string;
}

/** `POST /auth/api-keys` body. */
export class CreateApiKeyDto {
  @IsOptional()
  @IsString()
  @Length(1, 64)
  name?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(/^[a-z][a-z0-9:._-]{0,63}$/, { each: true })
  scopes?: string[];

  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(7_776_000) // auth.apiKeys.maxLifetimeSec (90 days)
  expiresInSec?: number;
}
