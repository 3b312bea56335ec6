import { Inject, Injectable, Logger } from '@nestjs/common';
import { getSecurityState, rawRequest } from '../context/request-state';
import { requestPath, type HttpRequestLike } from '../context/get-request';
import type { ResolvedCoreOptions } from '../options/core.options';
import { SECURITY_OPTIONS } from '../security.constants';
import { redact } from './redact.util';
import type { SecurityEvent, SecurityEventInput } from './security-event.interface';

/**
 * The audit log. Every feature reports security decisions here as structured events with a
 * stable type; each event is redacted (passwords, secrets, tokens, keys, cookies, signatures)
 * and written as one JSON line to the `SecurityEvents` logger and to any configured sinks.
 * Inject it to report your own events.
 *
 * @publicApi
 */
@Injectable()
export class SecurityEvents {
  private readonly logger = new Logger('SecurityEvents');
  /** Indexes of sinks whose failure was already logged. */
  private readonly failedSinks = new Set<number>();

  constructor(@Inject(SECURITY_OPTIONS) private readonly options: ResolvedCoreOptions) {}

  /** Whether events are produced (lets callers skip building expensive details). */
  get enabled(): boolean {
    return this.options.events.enabled;
  }

  /**
   * Records one event. Never throws: a sink that throws or whose promise rejects is ignored
   * (logged once, by class name only), so it cannot break a request or crash the process.
   */
  emit(input: SecurityEventInput): void {
    const config = this.options.events;
    if (!config.enabled) return;
    const event = this.build(input);
    if (config.logger) {
      const line = JSON.stringify(event);
      if (input.outcome === 'success' || input.outcome === 'info') this.logger.log(line);
      else this.logger.warn(line);
    }
    config.sinks.forEach((sink, index) => {
      // A sink must never break the request it reports on, nor crash the process with an
      // unhandled rejection when it is async.
      try {
        const result: unknown = sink(event);
        if (isThenable(result)) result.then(undefined, (error: unknown) => this.sinkFailed(index, error));
      } catch (error) {
        this.sinkFailed(index, error);
      }
    });
  }

  /**
   * Logs a failing sink once (its first failure): a broken SIEM shipper must not flood the log.
   * Only the error's class name is logged: its message may carry URLs, credentials or the event.
   */
  private sinkFailed(index: number, error: unknown): void {
    if (this.failedSinks.has(index)) return;
    this.failedSinks.add(index);
    const name = error instanceof Error ? error.constructor.name : typeof error;
    this.logger.error(`Security event sink #${index + 1} failed (${name}); its later failures are not logged`);
  }

  private build(input: SecurityEventInput): SecurityEvent {
    const event: SecurityEvent = { type: input.type, time: new Date().toISOString(), outcome: input.outcome };
    if (input.reason) event.reason = input.reason;
    const req = input.request as HttpRequestLike | undefined;
    if (req && typeof req === 'object') {
      const state = getSecurityState(req);
      const raw = rawRequest(req);
      event.requestId = state.requestId;
      event.ip = state.ip ?? raw.socket?.remoteAddress;
      event.method = req.method ?? raw.method;
      event.path = requestPath(req);
      if (state.principal) {
        event.principalId = state.principal.id;
        event.principalType = state.principal.type;
      }
    }
    if (input.principalId) event.principalId = input.principalId;
    if (input.details) event.details = redact(input.details, this.options.events.redactKeys) as Record<string, unknown>;
    return event;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
