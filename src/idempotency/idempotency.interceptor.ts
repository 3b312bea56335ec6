import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
  StreamableFile,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { defer, from, type Observable, of, throwError } from 'rxjs';
import { catchError, finalize, last, mergeMap, switchMap } from 'rxjs/operators';
import { getRequest, getResponse, type HttpRequestLike } from '../core/context/get-request';
import { getSecurityState, rawRequest } from '../core/context/request-state';
import { takeGraphqlFilter, takeResponseFilter } from '../core/context/pending-response-filter.util';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../core/context/route-plan.cache';
import { getResponseHeader, setResponseHeader } from '../core/context/response.util';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SecurityEvents } from '../core/events/security-events.service';
import { SecurityEventType } from '../core/events/security-event.interface';
import type { IdempotencyRefusal, IdempotentRouteOptions, ResolvedIdempotencyOptions } from './idempotency.options';
import type { IdempotencyFeatureOptions } from './idempotency.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { SecurityStorage } from '../storage/security-storage.interface';
import { IDEMPOTENT_KEY, IDEMPOTENT_REPLAYED_HEADER } from './idempotency.constants';
import { idempotencyRecordId, parseIdempotencyKey, requestFingerprint } from './idempotency-key.util';
import { type IdempotencyLease, IdempotencyStore, type StoredResponse } from './idempotency.store';

/** What one route needs, resolved once per (controller, handler). */
interface RouteConfig {
  required: boolean;
  ttlMs: number;
  leaseMs: number;
}

/** A request that holds the lease and runs the handler. */
interface Execution {
  lease: IdempotencyLease;
  route: RouteConfig;
  res: unknown;
  req: HttpRequestLike;
  lost: boolean;
  /** GraphQL: the root field's resolve info (its response filter is recorded under it). */
  info?: object;
}

/** One call to make idempotent: an HTTP request, or one root mutation field of a GraphQL request. */
interface IdempotentCall {
  req: HttpRequestLike;
  route: RouteConfig;
  /** What the fingerprint covers besides the payload and scope. */
  method: string;
  target: string;
  payload: unknown;
  /** Set for GraphQL: the field's response key, so each mutation field of a request has its own record. */
  field?: string;
  /** Set for GraphQL: the field's resolve info. */
  info?: object;
}

/** What the interceptor reads of a GraphQL field's resolve info. */
interface ResolveInfoLike {
  fieldName: string;
  parentType?: { name?: string };
  operation?: { operation?: string };
  path?: { key?: string | number; prev?: unknown };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const NOT_CONFIGURED = null;

/**
 * `@Idempotent()` routes (and every POST/PATCH with `applyTo: 'mutations'`): the first request
 * with a given `Idempotency-Key` runs the handler under a fenced, renewed lease; its response
 * (status, body, selected headers) is stored and replayed to retries with
 * `Idempotent-Replayed: true`. Keys are scoped per principal (anonymous callers per IP, or
 * refused). The route's response filter is applied before storing: the stored (and replayed) body
 * is the filtered one, filtered once.
 *
 * @throws {BadRequestException} `IDEMPOTENCY_KEY_MISSING` / `IDEMPOTENCY_KEY_INVALID`.
 * @throws {UnprocessableEntityException} `IDEMPOTENCY_KEY_MISMATCH`: same key, different request.
 * @throws {ConflictException} `IDEMPOTENCY_IN_FLIGHT` with `Retry-After`: the first one still runs.
 * @throws {ServiceUnavailableException} `STORAGE_UNAVAILABLE`: the store did not answer (fail closed).
 * @publicApi
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('IdempotencyInterceptor');
  private readonly config: ResolvedIdempotencyOptions;
  private readonly store: IdempotencyStore;
  /** The `@Idempotent()` settings of each route, or NOT_CONFIGURED. */
  private readonly routes: RoutePlanSlot<RouteConfig | null>;
  private readonly defaults: RouteConfig;

  constructor(
    @Inject(SECURITY_OPTIONS) options: IdempotencyFeatureOptions,
    @Inject(SecurityStorage) storage: SecurityStorage,
    private readonly reflector: Reflector,
    private readonly events: SecurityEvents,
    routePlans: RoutePlanCache,
  ) {
    this.config = options.idempotency;
    this.store = new IdempotencyStore(storage);
    this.defaults = { required: this.config.required, ttlMs: this.config.ttlMs, leaseMs: this.config.leaseMs };
    this.routes = routePlans.slot((cls, handler) => this.decorated(cls, handler));
  }

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const call = this.callOf(ctx);
    if (!call) return next.handle();
    const { req, route } = call;
    const header = req.headers[this.config.header];
    if (header === undefined) {
      if (!route.required) return next.handle();
      return throwError(() => this.refusal('missing', req));
    }
    const key = parseIdempotencyKey(header);
    if (key === undefined) return throwError(() => this.refusal('invalid', req));
    const scope = this.scopeOf(req);
    if (scope === undefined) return throwError(() => this.refusal('anonymous', req));
    const res = getResponse(ctx);
    const fingerprint = requestFingerprint(call.method, call.target, call.payload, scope);
    // Keys are printable ASCII: the newline keeps a GraphQL field's record apart from any REST key.
    const storeKey = this.store.key(
      idempotencyRecordId(scope, call.field === undefined ? key : `${key}\n${call.field}`),
    );
    return defer(() => this.store.acquire(storeKey, fingerprint, route.leaseMs)).pipe(
      catchError(() => throwError(() => this.refusal('storage', req, res))),
      switchMap((outcome) => {
        if (outcome.fingerprint !== fingerprint) return throwError(() => this.refusal('mismatch', req));
        if (outcome.kind === 'in_flight') return throwError(() => this.refusal('in_flight', req, res));
        if (outcome.kind === 'completed') {
          this.events.metrics.idempotency('replay');
          // Stored filtered: the route's response filter must not run on it again.
          this.takeFilter(call);
          return this.replay(outcome.response, res, call.field === undefined);
        }
        return this.execute(next, { lease: outcome.lease, route, res, req, lost: false, info: call.info });
      }),
    );
  }

  /**
   * The call to make idempotent, or undefined: HTTP routes by method and metadata (see the class
   * TSDoc), and the root fields of GraphQL mutations marked `@Idempotent()`, keyed by the same
   * header, fingerprinted by the field name and its arguments.
   */
  private callOf(ctx: ExecutionContext): IdempotentCall | undefined {
    const type = ctx.getType<string>();
    if (type === 'graphql') return this.graphqlCall(ctx);
    if (type !== 'http') return undefined;
    const req = ctx.switchToHttp().getRequest<HttpRequestLike>();
    const method = req.method ?? rawRequest(req).method ?? 'GET';
    if (SAFE_METHODS.has(method)) return undefined;
    const route = this.routeConfig(ctx, method);
    if (!route) return undefined;
    return { req, route, method, target: req.originalUrl ?? req.url ?? '', payload: req.body };
  }

  private graphqlCall(ctx: ExecutionContext): IdempotentCall | undefined {
    const info = ctx.getArgByIndex<ResolveInfoLike | undefined>(3);
    if (info?.operation?.operation !== 'mutation' || info.path?.prev !== undefined) return undefined;
    const route = this.routes.of(ctx);
    if (!route) return undefined;
    const field = String(info.path?.key ?? info.fieldName);
    const target = `graphql:${info.parentType?.name ?? 'Mutation'}.${info.fieldName}`;
    return { req: getRequest(ctx), route, method: 'POST', target, payload: ctx.getArgByIndex(1), field, info };
  }

  /**
   * The caller's scope: the principal, else (by policy) the client IP. Override to scope by
   * tenant, API key or anything else.
   */
  protected scopeOf(req: HttpRequestLike): string | undefined {
    const state = getSecurityState(req);
    if (state.principal) return `${state.principal.type}:${state.principal.id}`;
    if (this.config.anonymous === 'refuse') return undefined;
    return `ip:${state.ip ?? rawRequest(req).socket?.remoteAddress ?? 'unknown'}`;
  }

  private routeConfig(ctx: ExecutionContext, method: string): RouteConfig | null {
    const decorated = this.routes.of(ctx);
    if (decorated) return decorated;
    return this.config.applyTo === 'mutations' && (method === 'POST' || method === 'PATCH') ? this.defaults : null;
  }

  private decorated(cls: RouteClass, handler: RouteHandler): RouteConfig | null {
    const meta = this.reflector.getAllAndOverride<IdempotentRouteOptions | undefined>(IDEMPOTENT_KEY, [handler, cls]);
    if (!meta) return NOT_CONFIGURED;
    return {
      required: meta.required ?? this.config.required,
      ttlMs: meta.ttlSeconds !== undefined ? meta.ttlSeconds * 1000 : this.config.ttlMs,
      leaseMs: meta.leaseMs ?? this.config.leaseMs,
    };
  }

  /**
   * Runs the handler under the lease, renewing it, then stores or releases the outcome. An
   * unsubscribe (the client went away, an outer `timeout()`) reaches the handler, and the renewal
   * stops: the lease then expires on its own.
   */
  private execute(next: CallHandler, run: Execution): Observable<unknown> {
    const timer = setInterval(() => void this.renew(run), Math.max(50, Math.floor(run.route.leaseMs / 3)));
    timer.unref();
    // `defer`: a handler that throws before returning an observable is settled like one that fails.
    return defer(() => next.handle()).pipe(
      last(null, undefined as unknown),
      mergeMap((value) => {
        // Renewal stops before the outcome is written (a renewal after it would report a lost lease).
        clearInterval(timer);
        return from(this.onSuccess(run, value));
      }),
      // The handler failed, or the response filter did (a 500): the key is stored or released.
      catchError((error: unknown) => {
        clearInterval(timer);
        return from(this.onError(run, error)).pipe(mergeMap(() => throwError(() => error)));
      }),
      finalize(() => clearInterval(timer)),
    );
  }

  private async renew(run: Execution): Promise<void> {
    if (run.lost) return;
    try {
      if (!(await this.store.renew(run.lease, run.route.leaseMs))) {
        run.lost = true;
        this.emit('lease_lost', run.req);
      }
    } catch {
      // A missed renewal is retried on the next tick; the lease outlives two misses.
    }
  }

  private async onSuccess(run: Execution, handled: unknown): Promise<unknown> {
    if (handled instanceof StreamableFile || Buffer.isBuffer(handled) || isStream(handled)) {
      await this.settle(run, undefined);
      return handled;
    }
    // The route's response filter (recorded by the filtering guard) applies here, once: what is
    // stored, returned and replayed is the filtered body. A filter that fails throws its 500.
    const filter = this.takeFilter(run);
    const value = filter ? filter.apply(handled, run.req) : handled;
    const status = statusOf(run.res);
    const stored: StoredResponse = { status, headers: this.headersOf(run.res), kind: 'body', payload: value ?? null };
    await this.settle(run, status >= 500 && !this.config.storeServerErrors ? undefined : stored);
    return value;
  }

  /** The pending response filter of this call, removed from the request (it applies once). */
  private takeFilter(call: { req: HttpRequestLike; info?: object }) {
    return call.info ? takeGraphqlFilter(call.req, call.info) : takeResponseFilter(call.req);
  }

  private async onError(run: Execution, error: unknown): Promise<void> {
    const storable =
      error instanceof HttpException &&
      (error.getStatus() < 500 || this.config.storeServerErrors) &&
      // Refused before the handler ran (validation): like Stripe, nothing is stored.
      !isValidationFailure(error);
    const stored: StoredResponse | undefined = storable
      ? { status: error.getStatus(), headers: this.headersOf(run.res), kind: 'error', payload: error.getResponse() }
      : undefined;
    await this.settle(run, stored);
  }

  /** Completes (stores) or releases the lease. A store failure here never hides the handler's outcome. */
  private async settle(run: Execution, stored: StoredResponse | undefined): Promise<void> {
    if (run.lost) return;
    const encoded = stored ? this.encode(run, stored) : undefined;
    try {
      if (encoded !== undefined) {
        if (!(await this.store.completeEncoded(run.lease, encoded, run.route.ttlMs))) this.emit('lease_lost', run.req);
      } else {
        await this.store.release(run.lease);
      }
    } catch {
      // The side effect happened: answer it. The lease expires on its own; the event tells operators.
      this.events.emit({
        type: SecurityEventType.STORAGE_UNAVAILABLE,
        outcome: 'failure',
        reason: 'idempotency_complete_failed',
        request: run.req,
      });
      this.logger.warn('Could not store an idempotent response; the key is released when its lease expires');
    }
  }

  /** The record to store, or undefined when it cannot be (not JSON, or over `maxStoredBytes`): the key is released. */
  private encode(run: Execution, stored: StoredResponse): string | undefined {
    let encoded: string;
    try {
      encoded = this.store.encode(run.lease, stored);
    } catch {
      return undefined;
    }
    return Buffer.byteLength(encoded) <= this.config.maxStoredBytes ? encoded : undefined;
  }

  /** The stored outcome again; a GraphQL field's keeps the response status (the request may hold other fields). */
  private replay(stored: StoredResponse, res: unknown, http: boolean): Observable<unknown> {
    for (const [name, value] of Object.entries(stored.headers)) setResponseHeader(res, name, value);
    setResponseHeader(res, IDEMPOTENT_REPLAYED_HEADER, 'true');
    if (stored.kind === 'error') {
      return throwError(() => new HttpException(stored.payload as Record<string, unknown>, stored.status));
    }
    if (http) setStatus(res, stored.status);
    return of(stored.payload);
  }

  private headersOf(res: unknown): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const name of this.config.replayHeaders) {
      const value = getResponseHeader(res, name);
      if (typeof value === 'string' || typeof value === 'number') headers[name] = String(value);
    }
    return headers;
  }

  private refusal(kind: IdempotencyRefusal, req: HttpRequestLike, res?: unknown): unknown {
    if (kind !== 'missing') this.emit(kind, req);
    if (kind === 'in_flight' || kind === 'storage') {
      setResponseHeader(res, 'Retry-After', this.config.retryAfterSeconds);
    }
    if (this.config.exceptionFactory) return this.config.exceptionFactory(kind);
    switch (kind) {
      case 'missing':
        return securityException(
          400,
          SecurityErrorCode.IDEMPOTENCY_KEY_MISSING,
          `${headerName(this.config.header)} header is required`,
        );
      case 'invalid':
        return securityException(
          400,
          SecurityErrorCode.IDEMPOTENCY_KEY_INVALID,
          `${headerName(this.config.header)} must be 1 to 255 printable ASCII characters`,
        );
      case 'anonymous':
        return securityException(401, SecurityErrorCode.AUTHENTICATION_REQUIRED, Messages.AUTHENTICATION_REQUIRED());
      case 'mismatch':
        return securityException(
          422,
          SecurityErrorCode.IDEMPOTENCY_KEY_MISMATCH,
          `${headerName(this.config.header)} was already used with a different request`,
        );
      case 'in_flight':
        return securityException(
          409,
          SecurityErrorCode.IDEMPOTENCY_IN_FLIGHT,
          'A request with this key is still in progress',
          {
            retryAfter: this.config.retryAfterSeconds,
          },
        );
      case 'storage':
        return securityException(503, SecurityErrorCode.STORAGE_UNAVAILABLE, Messages.STORAGE_UNAVAILABLE());
      default: {
        const never: never = kind;
        return never;
      }
    }
  }

  private emit(reason: string, req: HttpRequestLike): void {
    this.events.emit({
      type: reason === 'storage' ? SecurityEventType.STORAGE_UNAVAILABLE : SecurityEventType.IDEMPOTENCY_CONFLICT,
      outcome: reason === 'lease_lost' ? 'info' : reason === 'storage' ? 'failure' : 'blocked',
      reason: reason === 'storage' ? 'idempotency_storage_unavailable' : `idempotency_${reason}`,
      request: req,
    });
  }
}

function headerName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function isValidationFailure(error: HttpException): boolean {
  const body = error.getResponse();
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { code?: unknown }).code === SecurityErrorCode.VALIDATION_FAILED
  );
}

function isStream(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { pipe?: unknown }).pipe === 'function';
}

interface StatusHolder {
  statusCode?: number;
  raw?: { statusCode?: number };
}

function statusOf(res: unknown): number {
  const holder = res as StatusHolder | undefined;
  return holder?.raw?.statusCode ?? holder?.statusCode ?? 200;
}

function setStatus(res: unknown, status: number): void {
  const holder = res as StatusHolder | undefined;
  if (!holder) return;
  // Express's res.status() and Fastify's reply.code() both end up on the Node response.
  if (holder.raw && typeof holder.raw === 'object') holder.raw.statusCode = status;
  else holder.statusCode = status;
}
