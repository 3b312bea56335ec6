import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

/** A recorded payment. */
export interface Payment {
  id: string;
  payerId: string;
  amount: number;
  currency: string;
  createdAt: string;
}

/** In-memory payments; `count` lets tests prove a retried payment ran exactly once. */
@Injectable()
export class PaymentsService {
  private readonly payments: Payment[] = [];

  charge(payerId: string, amount: number, currency: string): Payment {
    const payment = { id: randomUUID(), payerId, amount, currency, createdAt: new Date().toISOString() };
    this.payments.push(payment);
    return payment;
  }

  get count(): number {
    return this.payments.length;
  }
}
