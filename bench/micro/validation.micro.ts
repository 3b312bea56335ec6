import 'reflect-metadata';
import { type ArgumentMetadata, type PipeTransform, ValidationPipe } from '@nestjs/common';
import { SecurityValidationPipe } from 'nestjs-rampart';
import { CreateOrderDto } from '../../test/fixtures/create-order.dto';
import { onlyFeatures, rampartContext } from './context';
import { guarded, sequential } from './timing';

/**
 * The validation pipe alone, on the benchmark's order DTO (4 properties, 8 constraints):
 * nestjs-rampart's SecurityValidationPipe against Nest's stock ValidationPipe configured the same
 * way (whitelist, forbidNonWhitelisted, transform). A fresh body object per call, as a request has.
 */

const metadata: ArgumentMetadata = { type: 'body', metatype: CreateOrderDto, data: undefined };
const valid = () => ({ sku: 'SKU-12345', quantity: 3, email: 'buyer@example.com', note: 'leave at the door' });
const invalid = () => ({ sku: '', quantity: 0, email: 'not-an-email', isAdmin: true });

function call(pipe: PipeTransform, body: () => Record<string, unknown>): () => unknown {
  return () => {
    try {
      const out = pipe.transform(body(), metadata) as unknown;
      return out instanceof Promise ? out.catch(() => undefined) : out;
    } catch {
      return undefined;
    }
  };
}

async function main(): Promise<void> {
  const nest = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  const app = await rampartContext(onlyFeatures({ validation: {} }));
  const rampartPipe = app.get(SecurityValidationPipe, { strict: false });
  for (const [label, body] of [
    ['valid body', valid],
    ['invalid body (3 errors + 1 extra property)', invalid],
  ] as const) {
    const base = { suite: 'validation', case: label };
    await guarded({ ...base, impl: 'nestjs-rampart' }, async () =>
      sequential({ ...base, impl: 'nestjs-rampart' }, call(rampartPipe, body)),
    );
    await guarded({ ...base, impl: 'Nest ValidationPipe' }, async () =>
      sequential({ ...base, impl: 'Nest ValidationPipe' }, call(nest, body)),
    );
  }
  await app.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
