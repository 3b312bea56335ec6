import { Body, Controller, Post } from '@nestjs/common';
import { CurrentPrincipal, Idempotent, type Principal } from 'nestjs-rampart';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { PaymentsService, type Payment } from './payments.service';

/**
 * Payments: a retried `POST /payments` with the same `Idempotency-Key` charges once and replays
 * the first response (`Idempotent-Replayed: true`); the body is validated against
 * {@link CreatePaymentDto} with undeclared fields refused.
 */
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @Idempotent()
  create(@CurrentPrincipal() principal: Principal | undefined, @Body() input: CreatePaymentDto): Payment {
    return this.payments.charge(principal?.id ?? 'anonymous', input.amount, input.currency);
  }
}
