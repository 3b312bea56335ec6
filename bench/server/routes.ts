import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Injectable, NotFoundException, Param, Post, type Type } from '@nestjs/common';
import { CreateOrderDto } from '../../test/fixtures/create-order.dto';
import { USER_ID } from '../lib/fixtures';

/**
 * The routes every stack serves. Handlers do the same small amount of work on every stack; the
 * stacks differ only in the decorators and global enhancers around them. Controllers are built
 * by factories so that each scenario app gets its own class (and its own route metadata).
 */

/** A document with an owner, for the ownership scenario. */
export interface BenchDocument {
  id: string;
  ownerId: string;
  title: string;
}

/** In-memory catalog and documents: the "database" of the benchmark app. */
@Injectable()
export class BenchDataService {
  private readonly documents = new Map<string, BenchDocument>([
    ['d1', { id: 'd1', ownerId: USER_ID, title: 'Quarterly report' }],
    ['d2', { id: 'd2', ownerId: 'user-2', title: 'Someone else’s report' }],
  ]);
  private payments = 0;

  item(id: string): { id: string; name: string; priceCents: number } {
    return { id, name: `Item ${id}`, priceCents: 1999 };
  }

  document(id: string): BenchDocument | undefined {
    return this.documents.get(id);
  }

  nextPaymentId(): string {
    this.payments += 1;
    return `pay_${this.payments}`;
  }
}

/** The idempotent POST body. */
export interface PaymentBody {
  amount: number;
  currency: string;
}

/** Decorators a stack puts on a route (method level) and on its controller (class level). */
export interface RouteDecorators {
  method?: MethodDecorator[];
  controller?: ClassDecorator[];
}

/** Applies `decorators` to `type.prototype[key]` the way TypeScript would (bottom-up). */
function decorate(type: Type, key: string, decorators: RouteDecorators): Type {
  const proto = type.prototype as Record<string, unknown>;
  let descriptor = Object.getOwnPropertyDescriptor(proto, key) as PropertyDescriptor;
  for (const dec of [...(decorators.method ?? [])].reverse()) {
    descriptor = (dec(proto, key, descriptor) as PropertyDescriptor | undefined) ?? descriptor;
  }
  Object.defineProperty(proto, key, descriptor);
  for (const dec of [...(decorators.controller ?? [])].reverse()) dec(type);
  return type;
}

/** GET /public */
export function publicController(decorators: RouteDecorators = {}): Type {
  @Controller('public')
  class PublicController {
    @Get()
    get(): { ok: boolean; service: string } {
      return { ok: true, service: 'bench' };
    }
  }
  return decorate(PublicController, 'get', decorators);
}

/** GET /items/:id */
export function itemsController(decorators: RouteDecorators = {}): Type {
  @Controller('items')
  class ItemsController {
    constructor(private readonly data: BenchDataService) {}

    @Get(':id')
    get(@Param('id') id: string): ReturnType<BenchDataService['item']> {
      return this.data.item(id);
    }
  }
  return decorate(ItemsController, 'get', decorators);
}

/** GET /documents/:id */
export function documentsController(decorators: RouteDecorators = {}): Type {
  @Controller('documents')
  class DocumentsController {
    constructor(private readonly data: BenchDataService) {}

    @Get(':id')
    get(@Param('id') id: string): BenchDocument {
      const doc = this.data.document(id);
      if (!doc) throw new NotFoundException();
      return doc;
    }
  }
  return decorate(DocumentsController, 'get', decorators);
}

/** POST /orders (validated body) */
export function ordersController(decorators: RouteDecorators = {}): Type {
  @Controller('orders')
  class OrdersController {
    @Post()
    @HttpCode(201)
    create(@Body() body: CreateOrderDto): CreateOrderDto & { id: string } {
      return { id: 'ord_1', ...body };
    }
  }
  return decorate(OrdersController, 'create', decorators);
}

/** POST /payments (idempotent) */
export function paymentsController(decorators: RouteDecorators = {}): Type {
  @Controller('payments')
  class PaymentsController {
    constructor(private readonly data: BenchDataService) {}

    @Post()
    @HttpCode(201)
    create(@Body() body: PaymentBody): PaymentBody & { id: string; status: string } {
      return { id: this.data.nextPaymentId(), amount: body.amount, currency: body.currency, status: 'captured' };
    }
  }
  return decorate(PaymentsController, 'create', decorators);
}
