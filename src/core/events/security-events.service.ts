import { createHmac } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import { SecurityMetrics } from '../metrics/security-metrics.service';
import { getSecurityState, rawRequest } from '../context/request-state';
import { headerValue, requestPath, type HttpRequestLike } from '../context/get-request';
import type { ResolvedCoreOptions } from '../options/core.options';
import { SECURITY_OPTIONS } from '../security.constants';
import type { LoginObserver } from './login-observer.interface';
import { RateLimitEpisodes } from './rate-limit-episodes';
import { redact } from './redact.util';
import {
  SecurityEventType,
  type LoginOutcome,
  type SecurityEvent,
  type SecurityEventInput,
} from './security-event.interface';

/**
 * The audit log. Every feature reports security decisions here as structured events with a
 * stable type; each event is redacted (passwords, secrets, tokens, keys, cookies, signatures)
 * and written as one JSON line to the `SecurityEvents` logger and to any configured sinks.
 * Inject it to report your own events.
 *
 * `STORAGE_UNAVAILABLE` is reported per state change, not per request: the first failure of a
 * feature (its `reason`) is written, later ones are counted (with a summary once a minute while
 * it lasts), and the episode ends with one `STORAGE_RECOVERED` carrying the number of failures,
 * after 5 s without a failure or as soon as a feature reports a recovery (an episode of a single
 * failure, nothing suppressed, ends silently).
 *
 * @publicApi
 */
/** An episode ends after this long without a failure of its feature (reported as recovered). */
const OUTAGE_QUIET_MS = 5_000;
/** While an episode lasts, its failures are summarised this often. */
const OUTAGE_SUMMARY_MS = 60_000;

interface Outage {
  reason: string;
  /** `details.partition` of the first failure (the memory store's full partition), if any. */
  partition?: string;
  since: number;
  last: number;
  failures: number;
  reportedAt: number;
  sinceReport: number;
}

@Injectable()
export class SecurityEvents implements OnModuleDestroy {
  private readonly logger = new Logger('SecurityEvents');
  /** Indexes of sinks whose failure was already logged. */
  private readonly failedSinks = new Set<number>();
  /** Open storage-outage episodes, by reason (feature). */
  private readonly outages = new Map<string, Outage>();
  /** Open rate-limit episodes. */
  private readonly episodes = new RateLimitEpisodes();
  /** Ends quiet episodes; runs only while one is open, and never keeps the process alive. */
  private sweeper?: ReturnType<typeof setInterval>;

  /** Sees failed logins (the anomaly signals); registers itself, as it depends on the storage, which depends on us. */
  private loginObserver?: LoginObserver;

  /** The metrics the events feed (429s by policy, refresh reuse, storage state, idempotency conflicts). */
  readonly metrics: SecurityMetrics;

  constructor(
    @Inject(SECURITY_OPTIONS) private readonly options: ResolvedCoreOptions,
    @Optional() metrics?: SecurityMetrics,
  ) {
    this.metrics = metrics ?? new SecurityMetrics(options);
  }

  /** @internal */
  observeLogins(observer: LoginObserver): void {
    this.loginObserver = observer;
  }

  /** Whether events are produced (lets callers skip building expensive details). */
  get enabled(): boolean {
    return this.options.events.enabled;
  }

  /**
   * Records one event. Never throws: a sink that throws or whose promise rejects is ignored
   * (logged once, by class name only), so it cannot break a request or crash the process.
   */
  emit(input: SecurityEventInput): void {
    if (this.metrics.enabled) this.count(input);
    if (!this.options.events.enabled) return;
    if (input.episode !== undefined && input.type === SecurityEventType.RATE_LIMITED) {
      this.rateLimited(input.episode, input);
      return;
    }
    if (input.type === SecurityEventType.STORAGE_UNAVAILABLE) {
      const reported = this.outageFailure(input);
      if (reported) this.write(reported);
      return;
    }
    this.write(input);
    if (input.type === SecurityEventType.STORAGE_RECOVERED && this.outages.size > 0) this.endOutages();
  }

  /**
   * Reports a failed login: `LOGIN_FAILED` with the username's keyed hash (never the name, never
   * the password), and feeds the anomaly signals (password spraying, credential stuffing). Routes
   * with `@LoginRateLimit()` report their outcome by themselves (a 4xx from the handler is a
   * failure); call this where the library cannot see the outcome (a login that answers 200 with an
   * error, an SSO callback, an MFA step). A request is reported once.
   */
  loginFailed(outcome: LoginOutcome): void {
    this.login(SecurityEventType.LOGIN_FAILED, 'failure', outcome);
  }

  /** Reports a successful login (`LOGIN_SUCCEEDED`); see {@link SecurityEvents.loginFailed}. */
  loginSucceeded(outcome: LoginOutcome): void {
    this.login(SecurityEventType.LOGIN_SUCCEEDED, 'success', outcome);
  }

  /**
   * The keyed hash (HMAC-SHA-256, `events.hashKey`) of a username, trimmed and lower-cased:
   * what login events carry instead of the name.
   */
  hashUsername(username: string): string {
    return createHmac('sha256', this.options.events.hashKey)
      .update(username.trim().toLowerCase())
      .digest('base64url')
      .slice(0, 32);
  }

  /** Feeds the metrics from an event (before any grouping: every refusal counts). */
  private count(input: SecurityEventInput): void {
    switch (input.type) {
      case SecurityEventType.RATE_LIMITED: {
        const policies = input.details?.policies;
        this.metrics.rateLimited(
          Array.isArray(policies)
            ? policies.map(String)
            : [input.reason === 'login_attempts_exhausted' ? 'login' : 'unknown'],
        );
        break;
      }
      case SecurityEventType.REFRESH_REUSE_DETECTED:
        this.metrics.refreshReuse();
        break;
      case SecurityEventType.IDEMPOTENCY_CONFLICT:
        this.metrics.idempotency((input.reason ?? 'conflict').replace(/^idempotency_/, ''));
        break;
      case SecurityEventType.STORAGE_UNAVAILABLE:
        // A state change: the first failure of an episode, not every refused request.
        if (!this.outages.has(outageKey(input))) this.metrics.storageState('unavailable', input.reason ?? 'storage');
        break;
      case SecurityEventType.STORAGE_RECOVERED:
        this.metrics.storageState('recovered', input.reason ?? 'storage');
        break;
    }
  }

  onModuleDestroy(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private login(type: string, outcome: 'success' | 'failure', input: LoginOutcome): void {
    const req = input.request as HttpRequestLike | undefined;
    if (req && typeof req === 'object') {
      const state = getSecurityState(req);
      if (state.loginReported) return;
      state.loginReported = true;
    }
    if (!this.options.events.enabled) return;
    const usernameHash = input.username === undefined ? undefined : this.hashUsername(input.username);
    const details = { ...input.details, ...(usernameHash === undefined ? {} : { usernameHash }) };
    this.write({
      type,
      outcome,
      reason: input.reason ?? (outcome === 'failure' ? 'invalid_credentials' : undefined),
      request: input.request,
      principalId: input.principalId,
      details,
    });
    if (outcome === 'failure' && this.loginObserver && usernameHash !== undefined) {
      const ip = req && typeof req === 'object' ? this.clientIp(req) : undefined;
      if (ip !== undefined) this.loginObserver.failed(ip, usernameHash, req, (event) => this.emit(event));
    }
  }

  private clientIp(req: HttpRequestLike): string | undefined {
    return getSecurityState(req).ip ?? rawRequest(req).socket?.remoteAddress;
  }

  private rateLimited(key: string, input: SecurityEventInput): void {
    const now = Date.now();
    for (const report of this.episodes.refusal(key, input, input.first, (i) => this.build(i), now)) {
      if (report.kind === 'start') this.write(report.input);
      else this.deliver(report.event, 'info');
    }
    this.startSweeper();
  }

  private startSweeper(): void {
    this.sweeper ??= setInterval(() => this.sweep(), OUTAGE_QUIET_MS / 2).unref();
  }

  /**
   * A storage failure, keyed by its reason (the feature). The first of an episode is reported as
   * is; later ones are counted and reported once a minute while the episode lasts. Under load an
   * outage fails every request: one event each would flood the log (thousands per second).
   */
  private outageFailure(input: SecurityEventInput): SecurityEventInput | undefined {
    const now = Date.now();
    const reason = input.reason ?? '';
    const partition = typeof input.details?.partition === 'string' ? input.details.partition : undefined;
    const key = outageKey(input);
    const outage = this.outages.get(key);
    if (!outage) {
      this.outages.set(key, { reason, partition, since: now, last: now, failures: 1, reportedAt: now, sinceReport: 0 });
      this.startSweeper();
      return input;
    }
    outage.failures++;
    outage.sinceReport++;
    outage.last = now;
    if (now - outage.reportedAt < OUTAGE_SUMMARY_MS) return undefined;
    const report = {
      ...input,
      details: {
        ...input.details,
        ongoing: true,
        ongoingForMs: now - outage.since,
        failuresSinceLastReport: outage.sinceReport,
      },
    };
    outage.reportedAt = now;
    outage.sinceReport = 0;
    return report;
  }

  /** Ends the episodes without a failure for {@link OUTAGE_QUIET_MS}. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, outage] of this.outages) if (now - outage.last >= OUTAGE_QUIET_MS) this.endOutage(key, outage);
    for (const ended of this.episodes.sweep(now)) this.deliver(ended, 'info');
    if (this.outages.size === 0 && this.episodes.size === 0) this.onModuleDestroy();
  }

  private endOutages(): void {
    for (const [key, outage] of this.outages) this.endOutage(key, outage);
    if (this.episodes.size === 0) this.onModuleDestroy();
  }

  /**
   * Ends an episode. One with a single failure had nothing suppressed and ends silently: a feature
   * that reports its own state changes (the rate limiter, the memory store) is not "recovered"
   * merely because it said nothing more.
   */
  private endOutage(key: string, outage: Outage): void {
    this.outages.delete(key);
    if (outage.failures === 1) return;
    this.write({
      type: SecurityEventType.STORAGE_RECOVERED,
      outcome: 'info',
      reason: outage.reason,
      details: {
        ...(outage.partition === undefined ? {} : { partition: outage.partition }),
        failures: outage.failures,
        durationMs: outage.last - outage.since,
      },
    });
  }

  private write(input: SecurityEventInput): void {
    this.deliver(this.build(input), input.outcome);
  }

  private deliver(event: SecurityEvent, outcome: SecurityEventInput['outcome']): void {
    const config = this.options.events;
    if (config.logger) {
      const line = JSON.stringify(event);
      if (outcome === 'success' || outcome === 'info') this.logger.log(line);
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
      const route = req.route?.path ?? req.routeOptions?.url;
      if (typeof route === 'string' && route !== '*') event.route = route;
      const agent = headerValue(req, 'user-agent') ?? headerValue(raw, 'user-agent');
      if (agent) event.userAgent = agent.length > 256 ? agent.slice(0, 256) : agent;
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

/** One outage episode per feature (reason), and per partition of the memory store. */
function outageKey(input: SecurityEventInput): string {
  const reason = input.reason ?? '';
  const partition = input.details?.partition;
  return typeof partition === 'string' ? `${reason}:${partition}` : reason;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
