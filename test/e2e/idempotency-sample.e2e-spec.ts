import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../../sample-app/src/app.module';
import { PaymentsService } from '../../sample-app/src/payments/payments.service';
import { sampleLogin } from '../fixtures/sample-login';
import { ADAPTERS, bootApp } from '../utils/app';

describe.each(ADAPTERS)('sample app POST /payments (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;
  let payments: PaymentsService;
  let token: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, AppModule));
    payments = app.get(PaymentsService);
    token = await sampleLogin(url);
  });
  afterAll(() => app.close());

  const pay = (key: string | undefined, body: unknown) =>
    fetch(`${url}/payments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify(body),
    });

  it('charges once for a retried payment and replays the first response', async () => {
    const key = randomUUID();
    const before = payments.count;
    const first = await pay(key, { amount: 1250, currency: 'EUR' });
    expect(first.status).toBe(201);
    const again = await pay(key, { amount: 1250, currency: 'EUR' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(payments.count).toBe(before + 1);
  });

  it('charges once under concurrent retries', async () => {
    const key = randomUUID();
    const before = payments.count;
    const responses = await Promise.all(Array.from({ length: 10 }, () => pay(key, { amount: 99, currency: 'USD' })));
    // The statuses go into the comparison so that a failure says what each retry was answered.
    const statuses = responses.map((r) => r.status).sort();
    expect({ charged: payments.count - before, statuses }).toEqual({
      charged: 1,
      statuses: expect.arrayContaining([201]) as unknown,
    });
    // Every other retry either waited for the first (409, still in flight) or replayed it (201).
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
  });

  it('requires a key, refuses a reused key with another amount, and blocks mass assignment', async () => {
    expect((await pay(undefined, { amount: 1, currency: 'EUR' })).status).toBe(400);
    const key = randomUUID();
    expect((await pay(key, { amount: 1, currency: 'EUR' })).status).toBe(201);
    expect((await pay(key, { amount: 2, currency: 'EUR' })).status).toBe(422);
    const mass = await pay(randomUUID(), { amount: 1, currency: 'EUR', status: 'settled' });
    expect(mass.status).toBe(400);
    expect(((await mass.json()) as { errors: Array<{ property: string }> }).errors[0].property).toBe('status');
  });
});
