import type { Principal } from './principal.interface';
import type { ResponseBodyFilter } from './pending-response-filter.util';

/** Per-request security state, kept on the underlying Node request under a private symbol. @internal */
export interface SecurityRequestState {
  requestId?: string;
  ip?: string;
  principal?: Principal;
  /** Set by the authentication stage once it has run (even for public routes). */
  authenticated: boolean;
  /** Raw body bytes when captured for signing. */
  rawBody?: Buffer;
  /** Resources loaded by the ownership guard, by resource type. */
  resources?: Map<string, unknown>;
  /** Set once the login outcome of this request was reported (explicitly or by the login limiter). */
  loginReported?: boolean;
  /** The webhook event id recorded for this request, forgotten again if its handler fails. */
  pendingWebhookId?: string;
  /**
   * The signature or webhook check of this request, once started: a GraphQL request runs the
   * guards once per field, and its nonce or event id must be recorded (and checked) only once.
   */
  signatureCheck?: Promise<boolean>;
  /**
   * The route's response filter, recorded once every guard admitted the request and applied once
   * to what the handler returns (see `pending-response-filter.util.ts`).
   */
  responseFilter?: ResponseBodyFilter;
  /** The same for the root fields of a GraphQL request, by the field's resolve info. */
  graphqlFilters?: WeakMap<object, ResponseBodyFilter>;
  /**
   * IP guards' decisions, taken by the edge IP limit in its own storage call (Fastify, a learned
   * route): each with the guard's policy set, the key prefix and the reply (one per edge: an app
   * may import the module twice). A guard takes the one for its policy set, once.
   */
  edgeDecided?: Array<{ readonly set: object; readonly prefix: string; readonly reply: readonly number[] }>;
}

const STATE = Symbol.for('nestjs-rampart:state');

interface Holder {
  [STATE]?: SecurityRequestState;
  raw?: unknown;
}

/** The Node `IncomingMessage` behind an Express or Fastify request. */
export function rawRequest<T extends object>(req: T): T {
  const raw = (req as Holder).raw;
  return raw && typeof raw === 'object' ? (raw as T) : req;
}

/**
 * Gets (creating on first use) the security state of a request. Works with the Express request,
 * the Fastify request and the raw Node request alike: state lives on the raw request.
 *
 * @internal
 */
export function getSecurityState(req: object): SecurityRequestState {
  const holder = rawRequest(req) as Holder;
  let state = holder[STATE];
  if (!state) {
    state = { authenticated: false };
    holder[STATE] = state;
  }
  return state;
}

/** The principal on a request, if authenticated. @publicApi */
export function getPrincipal(req: object): Principal | undefined {
  return (rawRequest(req) as Holder)[STATE]?.principal;
}
