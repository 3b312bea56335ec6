import { SetMetadata } from '@nestjs/common';
import { SIGNED_KEY } from './signing.constants';

/**
 * Requires an HMAC-SHA256 request signature (`X-Signature`, `X-Timestamp`, `X-Key-Id`,
 * `X-Nonce`) on a route or a whole controller; `@Signed(false)` exempts a route from a signed
 * controller or from `signing.paths`. Clients sign with `signRequest()`.
 *
 * @example
 * ```ts
 * @Signed()
 * @Post('transfers')
 * transfer(@Body() dto: TransferDto) {}
 * ```
 * @publicApi
 */
export const Signed = (required = true): MethodDecorator & ClassDecorator => SetMetadata(SIGNED_KEY, required);
