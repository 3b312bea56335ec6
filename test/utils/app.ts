import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { uniquePrefix } from './redis';

/** The two HTTP adapters every e2e suite runs on. */
export const ADAPTERS = ['express', 'fastify'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/**
 * Boots `module` on the given adapter, listening on a random loopback port, and returns the app
 * and its base URL. Close the app in afterAll.
 */
export async function bootApp(
  adapter: AdapterName,
  module: Type | DynamicModule,
  configure?: (builder: TestingModuleBuilder) => TestingModuleBuilder,
  setup?: (app: INestApplication) => void | Promise<void>,
): Promise<{ app: INestApplication; url: string }> {
  let builder = Test.createTestingModule({ imports: [module] });
  if (configure) builder = configure(builder);
  // The sample app keys its Redis data by REDIS_PREFIX: give every boot its own, so state one
  // suite leaves in the shared test Redis (a subject revoked at logout, rate-limit counters)
  // never reaches another suite's app.
  const previousPrefix = process.env.REDIS_PREFIX;
  process.env.REDIS_PREFIX = uniquePrefix(`app-${adapter}`);
  let moduleRef;
  try {
    moduleRef = await builder.compile();
  } finally {
    if (previousPrefix === undefined) delete process.env.REDIS_PREFIX;
    else process.env.REDIS_PREFIX = previousPrefix;
  }
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false, rawBody: true })
      : moduleRef.createNestApplication({ logger: false, rawBody: true });
  if (setup) await setup(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}` };
}
