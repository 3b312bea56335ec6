import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

/**
 * Starts the sample app on `PORT` (default 3000). `ADAPTER=fastify` switches from Express to
 * Fastify; `REDIS_URL` switches every store from memory to Redis.
 */
async function bootstrap(): Promise<void> {
  const adapter = (process.env.ADAPTER ?? 'express').toLowerCase();
  if (adapter !== 'express' && adapter !== 'fastify')
    throw new Error(`ADAPTER must be express or fastify, got "${adapter}"`);
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true })
      : await NestFactory.create(AppModule, { rawBody: true });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, process.env.HOST ?? '127.0.0.1');
  new Logger('SampleApp').log(
    `listening on http://${process.env.HOST ?? '127.0.0.1'}:${port} (${adapter}, ${process.env.REDIS_URL ? 'Redis' : 'in-memory'} stores)`,
  );
}

void bootstrap();
