import type { ExecutionContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { SecurityModule, type SecurityModuleOptions } from 'nestjs-rampart';

/** A minimal Express-like request from one client IP. */
export interface FakeRequest {
  ip: string;
  method: string;
  url: string;
  originalUrl: string;
  headers: Record<string, string>;
  socket: { remoteAddress: string };
}

export function fakeRequest(): FakeRequest {
  return {
    ip: '127.0.0.1',
    method: 'GET',
    url: '/items/42',
    originalUrl: '/items/42',
    headers: { host: '127.0.0.1', 'user-agent': 'bench' },
    socket: { remoteAddress: '127.0.0.1' },
  };
}

/** A response that keeps headers in a Map (Express/raw style `setHeader`, plus `header`). */
export function fakeResponse(): Record<string, unknown> {
  const headers = new Map<string, unknown>();
  return {
    setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), value),
    getHeader: (name: string) => headers.get(name.toLowerCase()),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
    header: (name: string, value: unknown) => headers.set(name.toLowerCase(), value),
  };
}

/** An HTTP ExecutionContext for one route handler, as Nest builds it for a guard. */
export function httpContext(req: unknown, res: unknown, handler: () => unknown, cls: Type): ExecutionContext {
  const http = { getRequest: () => req, getResponse: () => res, getNext: () => undefined };
  const args = [req, res, undefined];
  return {
    getType: () => 'http',
    switchToHttp: () => http,
    switchToRpc: () => {
      throw new Error('not rpc');
    },
    switchToWs: () => {
      throw new Error('not ws');
    },
    getHandler: () => handler,
    getClass: () => cls,
    getArgs: () => args,
    getArgByIndex: (i: number) => args[i],
  } as unknown as ExecutionContext;
}

/** Boots SecurityModule with `options` (no HTTP server) and returns the context. */
export async function rampartContext(options: SecurityModuleOptions): Promise<INestApplicationContext> {
  @Module({ imports: [SecurityModule.forRoot(options)] })
  class MicroModule {}
  return NestFactory.createApplicationContext(MicroModule, { logger: false });
}

export { onlyFeatures } from '../../test/fixtures/only-features';
