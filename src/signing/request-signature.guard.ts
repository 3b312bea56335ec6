import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { getRequest, headerValue, requestPath, type HttpRequestLike } from '../core/context/get-request';
import { getSecurityState } from '../core/context/request-state';
import {
  RoutePlanCache,
  type RouteClass,
  type RouteHandler,
  type RoutePlanSlot,
} from '../core/context/route-plan.cache';
import { SecurityErrorCode } from '../core/errors/error-codes';
import { Messages } from '../core/errors/messages.constant';
import { securityException } from '../core/errors/security-exception';
import { SecurityEvents } from '../core/events/security-events.service';
import { SecurityEventType } from '../core/events/security-event.interface';
import type { SigningFeatureOptions } from './signing.options';
import type { ResolvedSigningOptions } from './signing.options';
import { SECURITY_OPTIONS } from '../core/security.constants';
import { SecurityStorage, storageKey } from '../storage/security-storage.interface';
import { canonicalRequestString } from './canonical-request.util';
import { INVALID_SIGNATURE_MESSAGE, SIGNED_KEY, WEBHOOK_KEY } from './signing.constants';
import type { WebhookMetadata } from './verify-webhook.decorator';
import { compileWebhook, type CompiledWebhook } from './webhook-schemes';

/** What a route needs, read from metadata once per (controller, handler) and cached. */
interface SigningPlan {
  /** `true`/`false` from `@Signed()`, `undefined`: decided by `signing.paths`. */
  signed: boolean | undefined;
  webhook?: { meta: WebhookMetadata; compiled?: CompiledWebhook };
}

const DIGITS = /^\d{1,12}$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const HEX64 = /^[0-9a-f]{64}$/;

type RequestWithBody = HttpRequestLike & { rawBody?: unknown };

/**
 * Verifies HMAC request signatures on `@Signed()` routes (and under `signing.paths`) and inbound
 * webhooks on `@VerifyWebhook()` routes. Runs before authentication. Every refusal is a 401
 * `INVALID_SIGNATURE` with a generic message; the precise reason goes to a `SIGNATURE_INVALID` or
 * `WEBHOOK_REJECTED` event. A nonce or event id is recorded only after the signature matched, so
 * forged requests cannot fill the store; a storage outage refuses the request (503).
 *
 * @throws {UnauthorizedException} missing, malformed, stale, replayed or wrong signature
 * @throws {ServiceUnavailableException} the replay store is unreachable
 * @throws {InternalServerErrorException} the app was created without `{ rawBody: true }`
 * @throws {UnsupportedMediaTypeException} a body of a type whose raw bytes Nest does not keep (not JSON or urlencoded)
 * @publicApi
 */
@Injectable()
export class RequestSignatureGuard implements CanActivate {
  private readonly logger = new Logger('RequestSignatureGuard');
  private readonly options: ResolvedSigningOptions;
  private readonly plans: RoutePlanSlot<SigningPlan>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(SECURITY_OPTIONS) options: SigningFeatureOptions,
    @Inject(SecurityStorage) private readonly storage: SecurityStorage,
    private readonly events: SecurityEvents,
    routePlans: RoutePlanCache,
  ) {
    this.options = options.signing;
    this.plans = routePlans.slot((cls, handler) => this.compile(cls, handler));
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    const plan = this.plans.of(ctx);
    if (plan.webhook) {
      const req = getRequest(ctx);
      const webhook = plan.webhook;
      return this.once(req, () => this.verifyWebhook(req, webhook));
    }
    if (plan.signed === false) return true;
    const req = getRequest(ctx);
    if (plan.signed === true || this.underSignedPath(req)) return this.once(req, () => this.verifySignature(req));
    return true;
  }

  /**
   * One verification per HTTP request: GraphQL runs the guards once per field, and a second check
   * would find the request's own nonce (or event id) already recorded.
   */
  private once(req: RequestWithBody, verify: () => Promise<boolean>): Promise<boolean> {
    const state = getSecurityState(req);
    return (state.signatureCheck ??= verify());
  }

  /** Hook: the current time in Unix seconds (tests and clock-skewed hosts may override). */
  protected nowSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }

  private compile(cls: RouteClass, handler: RouteHandler): SigningPlan {
    const targets = [handler, cls];
    const meta = this.reflector.getAllAndOverride<WebhookMetadata | undefined>(WEBHOOK_KEY, targets);
    return {
      signed: this.reflector.getAllAndOverride<boolean | undefined>(SIGNED_KEY, targets),
      webhook: meta ? { meta } : undefined,
    };
  }

  /**
   * Matches `signing.paths` against the route pattern the router matched (Express `route.path`,
   * Fastify `routeOptions.url`), not the raw URL: routers match case-insensitively or after
   * percent-decoding, so `/INTERNAL/x` or `/%69nternal/x` must not slip past a `/internal/` prefix.
   */
  private underSignedPath(req: HttpRequestLike): boolean {
    const paths = this.options.paths;
    if (paths.length === 0) return false;
    const pattern = req.route?.path ?? req.routeOptions?.url;
    const path = pattern ?? decodePath(requestPath(req)).toLowerCase();
    for (let i = 0; i < paths.length; i++) {
      if (path.startsWith(paths[i]) || (pattern === undefined && path.startsWith(paths[i].toLowerCase()))) return true;
    }
    return false;
  }

  private async verifySignature(req: RequestWithBody): Promise<boolean> {
    const signature = headerValue(req, 'x-signature');
    const timestamp = headerValue(req, 'x-timestamp');
    const keyId = headerValue(req, 'x-key-id');
    const nonce = headerValue(req, 'x-nonce');
    if (!signature || !timestamp || !keyId || !nonce) throw this.refuse(req, 'signature_missing');
    const key = this.options.keys.get(keyId);
    if (!key) throw this.refuse(req, 'unknown_key_id', keyId);
    if (!DIGITS.test(timestamp)) throw this.refuse(req, 'timestamp_malformed', keyId);
    const skew = this.nowSeconds() - Number(timestamp);
    if (skew > this.options.toleranceSeconds) throw this.refuse(req, 'timestamp_too_old', keyId);
    if (-skew > this.options.toleranceSeconds) throw this.refuse(req, 'timestamp_in_future', keyId);
    if (!NONCE.test(nonce)) throw this.refuse(req, 'nonce_malformed', keyId);
    if (!HEX64.test(signature)) throw this.refuse(req, 'signature_malformed', keyId);
    const url = req.originalUrl ?? req.url ?? '/';
    const q = url.indexOf('?');
    const canonical = canonicalRequestString({
      method: req.method ?? 'GET',
      path: q === -1 ? url : url.slice(0, q),
      query: q === -1 ? '' : url.slice(q + 1),
      headers: this.options.signedHeaders.map((h) => [h, headerValue(req, h) ?? ''] as const),
      timestamp,
      nonce,
      keyId,
      body: this.rawBody(req, 'signature'),
    });
    const expected = createHmac('sha256', key).update(canonical).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw this.refuse(req, 'signature_mismatch', keyId);
    const fresh = await this.remember(req, storageKey('signing-nonce', `${keyId}:${nonce}`), this.options.nonceTtlMs);
    if (!fresh) throw this.refuse(req, 'nonce_replayed', keyId);
    return true;
  }

  private async verifyWebhook(req: RequestWithBody, plan: NonNullable<SigningPlan['webhook']>): Promise<boolean> {
    const { meta } = plan;
    if (!plan.compiled) {
      const secret = typeof meta.secret === 'function' ? meta.secret() : meta.secret;
      plan.compiled = compileWebhook(
        meta.scheme,
        secret,
        this.options.webhooks.replayTtlSeconds,
        `@VerifyWebhook('${meta.scheme}')`,
      );
    }
    const tolerance = meta.toleranceSeconds ?? this.options.webhooks.toleranceSeconds;
    const verdict = plan.compiled.verify(
      { header: (name) => headerValue(req, name), rawBody: this.rawBody(req, 'webhook'), body: req.body },
      this.nowSeconds(),
      tolerance,
    );
    if (!verdict.ok) throw this.refuseWebhook(req, meta.scheme, verdict.reason);
    if (meta.replayProtection === false) return true;
    const ttlMs = (verdict.ttl || tolerance * 2) * 1000;
    const key = storageKey('webhook', verdict.replayId);
    if (!(await this.remember(req, key, ttlMs))) throw this.refuseWebhook(req, meta.scheme, 'replayed');
    // Released by WebhookReplayInterceptor if the handler fails, so the sender's retry gets in.
    getSecurityState(req).pendingWebhookId = key;
    return true;
  }

  /** Records a one-time id; false when it was already there. Storage failures refuse (503). */
  private async remember(req: HttpRequestLike, key: string, ttlMs: number): Promise<boolean> {
    try {
      return await this.storage.set(key, '1', ttlMs, { onlyIfAbsent: true });
    } catch {
      this.events.emit({
        type: SecurityEventType.STORAGE_UNAVAILABLE,
        outcome: 'failure',
        reason: 'replay_store_unavailable',
        request: req,
      });
      throw securityException(
        503,
        SecurityErrorCode.STORAGE_UNAVAILABLE,
        'Service temporarily unavailable, please retry',
      );
    }
  }

  /**
   * The exact bytes received. Without `{ rawBody: true }` a request that has a body cannot be
   * verified: refuse it loudly (500) instead of verifying re-serialized JSON.
   */
  private rawBody(req: RequestWithBody, what: 'signature' | 'webhook'): Buffer {
    const raw = req.rawBody;
    if (Buffer.isBuffer(raw)) return raw;
    const length = headerValue(req, 'content-length');
    const hasBody = (length !== undefined && length !== '0') || headerValue(req, 'transfer-encoding') !== undefined;
    if (!hasBody) return Buffer.alloc(0);
    // Nest keeps the raw bytes only of the bodies it parses (JSON, urlencoded). Any other type
    // (multipart, text, XML...) was never captured: that is the client's choice, not a broken
    // app, so it is a 415 and not a logged 500 a client could repeat at will.
    if (!RAW_BODY_TYPES.has(mediaType(headerValue(req, 'content-type')))) {
      this.events.emit({
        type: what === 'signature' ? SecurityEventType.SIGNATURE_INVALID : SecurityEventType.WEBHOOK_REJECTED,
        outcome: 'failure',
        reason: 'unsupported_media_type',
        request: req,
      });
      throw securityException(415, SecurityErrorCode.UNSUPPORTED_MEDIA_TYPE, Messages.UNSUPPORTED_MEDIA_TYPE());
    }
    this.logger.error(
      `Cannot verify the ${what}: the raw request body is not available. Create the app with ` +
        'NestFactory.create(AppModule, { rawBody: true }) and send a body type Nest parses (JSON or urlencoded).',
    );
    this.events.emit({
      type: what === 'signature' ? SecurityEventType.SIGNATURE_INVALID : SecurityEventType.WEBHOOK_REJECTED,
      outcome: 'failure',
      reason: 'raw_body_unavailable',
      request: req,
    });
    return failRawBody();
  }

  private refuse(req: HttpRequestLike, reason: string, keyId?: string): Error {
    this.events.emit({
      type: SecurityEventType.SIGNATURE_INVALID,
      outcome: 'failure',
      reason,
      request: req,
      details: keyId ? { keyId: keyId.slice(0, 64) } : undefined,
    });
    return securityException(401, SecurityErrorCode.INVALID_SIGNATURE, INVALID_SIGNATURE_MESSAGE);
  }

  private refuseWebhook(req: HttpRequestLike, scheme: string, reason: string): Error {
    this.events.emit({
      type: SecurityEventType.WEBHOOK_REJECTED,
      outcome: 'failure',
      reason,
      request: req,
      details: { scheme },
    });
    return securityException(401, SecurityErrorCode.INVALID_SIGNATURE, INVALID_SIGNATURE_MESSAGE);
  }
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Media types whose raw bytes Nest captures with `{ rawBody: true }` on both adapters. */
const RAW_BODY_TYPES = new Set(['application/json', 'application/x-www-form-urlencoded']);

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function failRawBody(): never {
  throw new InternalServerErrorException({
    statusCode: 500,
    error: 'Internal Server Error',
    message: 'Internal server error',
    code: SecurityErrorCode.INTERNAL_ERROR,
  });
}
