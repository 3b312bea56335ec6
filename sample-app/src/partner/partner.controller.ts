import { Body, Controller, Get, Post } from '@nestjs/common';
import { Deprecated, Public, SecurityHeaders, Signed } from 'nestjs-rampart';
import { TransferDto } from './dto/transfer.dto';

/**
 * Server-to-server partner API. `POST /partner/transfers` requires an HMAC signature
 * (`signRequest()` on the client; keys from `SIGNING_KEYS`); everything under
 * `/partner/internal/` does too, through `signing.paths`. `GET /partner/v1/balance` is
 * deprecated and answers 410 after its sunset; it also shows a per-route override of the header
 * preset (`@SecurityHeaders()`): clients may cache the balance privately for 30 s.
 */
@Public()
@Controller('partner')
export class PartnerController {
  @Signed()
  @Post('transfers')
  transfer(@Body() body: TransferDto): { accepted: true; to: string; amount: number } {
    return { accepted: true, to: body.to, amount: body.amount };
  }

  @Get('internal/status')
  status(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Deprecated({
    since: '2026-01-01T00:00:00Z',
    sunset: '2027-06-30T00:00:00Z',
    link: 'https://github.com/nestjs-rampart/nestjs-rampart/blob/main/docs/http-edge.md#api-deprecation',
  })
  @SecurityHeaders({ 'Cache-Control': 'private, max-age=30' })
  @Get('v1/balance')
  balanceV1(): { balance: number; currency: string } {
    return { balance: 100, currency: 'EUR' };
  }
}
