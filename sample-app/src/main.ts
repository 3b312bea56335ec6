import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { setupApiDocs } from './docs/docs.module';
import { startMetricsEndpoint } from './metrics/metrics';
import { sampleValidationOptions } from './payments/payments.options';

/**
 * Starts the sample app on `PORT` (default 3000). `ADAPTER=fastify` switches from Express to
 * Fastify; `REDIS_URL` switches every store from memory to Redis; `METRICS_PORT` serves Prometheus
 * metrics on a separate port (see metrics/metrics.ts).
 */
async function bootstrap(): Promise<void> {
  // Before the app is created: nestjs-rampart's instruments are made from the global MeterProvider.
  const meterProvider = startMetricsEndpoint();
  const adapter = (process.env.ADAPTER ?? 'express').toLowerCase();
  if (adapter !== 'express' && adapter !== 'fastify')
    throw new Error(`ADAPTER must be express or fastify, got "${adapter}"`);
  // The body parsers accept what `validation.maxPayloadBytes` allows (Express parses 100 kB by
  // default, Fastify 1 MiB); the security edge answers 413 above it before any parsing.
  const bodyLimit = sampleValidationOptions?.maxPayloadBytes ?? 1_048_576;
  let app;
  if (adapter === 'fastify') {
    app = await NestFactory.create(AppModule.withGraphql('fastify'), new FastifyAdapter({ bodyLimit }), {
      rawBody: true,
    });
  } else {
    const express = await NestFactory.create<NestExpressApplication>(AppModule.withGraphql('express'), {
      rawBody: true,
    });
    express.useBodyParser('json', { limit: bodyLimit });
    app = express;
  }
  app.enableShutdownHooks();
  if (meterProvider) process.once('beforeExit', () => void meterProvider.shutdown());
  setupApiDocs(app);
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, process.env.HOST ?? '127.0.0.1');
  new Logger('SampleApp').log(
    `listening on http://${process.env.HOST ?? '127.0.0.1'}:${port} (${adapter}, ${process.env.REDIS_URL ? 'Redis' : 'in-memory'} stores)`,
  );
}

void bootstrap();
