import type { INestApplication, Type } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

/** The two HTTP adapters every e2e suite runs on. */
export const ADAPTERS = ['express', 'fastify'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/**
 * Boots `module` on the given adapter, listening on a random loopback port, and returns the app
 * and its base URL. Close the app in afterAll.
 */
export async function bootApp(
  adapter: AdapterName,
  module: Type,
  configure?: (builder: TestingModuleBuilder) => TestingModuleBuilder,
  setup?: (app: INestApplication) => void | Promise<void>,
): Promise<{ app: INestApplication; url: string }> {
  let builder = Test.createTestingModule({ imports: [module] });
  if (configure) builder = configure(builder);
  const moduleRef = await builder.compile();
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false, rawBody: true })
      : moduleRef.createNestApplication({ logger: false, rawBody: true });
  if (setup) await setup(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}` };
}
