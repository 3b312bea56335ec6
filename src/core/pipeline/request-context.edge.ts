import { randomUUID } from 'node:crypto';
import { resolveClientIp, compileIpMatcher } from '../context/client-ip';
import { getSecurityState } from '../context/request-state';
import type { ResolvedCoreOptions } from '../options/core.options';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from './edge-handler.interface';

/** Printable, 1–128 characters, no spaces or quotes: safe to log and echo. */
const WELL_FORMED_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * First edge step: assigns the request id (a well-formed `X-Request-ID`, else a UUID), echoes it
 * on the response, and records the client IP (trusted proxies honoured).
 *
 * @internal
 */
export class RequestContextEdge implements EdgeHandler {
  private readonly header: string;
  private readonly trustIncoming: boolean;
  private readonly isTrusted: (ip: string) => boolean;

  constructor(options: ResolvedCoreOptions) {
    this.header = options.requestId.header;
    this.trustIncoming = options.requestId.trustIncoming;
    this.isTrusted = compileIpMatcher(options.trustProxy, 'trustProxy');
  }

  handle(req: EdgeRequest, res: EdgeResponse): boolean {
    const state = getSecurityState(req);
    const incoming = this.trustIncoming ? req.headers[this.header] : undefined;
    state.requestId = typeof incoming === 'string' && WELL_FORMED_ID.test(incoming) ? incoming : randomUUID();
    state.ip = resolveClientIp(req, this.isTrusted);
    res.setHeader(this.header, state.requestId);
    return false;
  }
}
