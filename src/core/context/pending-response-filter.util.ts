import { getSecurityState, rawRequest } from './request-state';

/**
 * A route's response filter, compiled once per route (controller class and handler) by the
 * response filtering feature.
 *
 * @internal
 */
export interface ResponseBodyFilter {
  /**
   * `body` as the route may send it: the same reference when there is nothing to remove; strings,
   * buffers, streams and `StreamableFile` untouched. Throws the 500 `INTERNAL_ERROR` exception
   * (after emitting its event) when the body cannot be filtered.
   */
  apply(body: unknown, request: object): unknown;
  /** Whether a field (a GraphQL field resolved by this route) with this name is denylisted. */
  denies(fieldName: string): boolean;
}

/*
 * A pending response filter is recorded on the request by a guard (after every other guard
 * admitted it) and consumed exactly once, by the first of:
 * - the idempotency interceptor, which stores (and returns) the filtered body, so what is stored
 *   and what is replayed has been filtered once;
 * - the point where the handler's result is serialized: `reply.send()` (Fastify) or `res.json()`
 *   (Express), wrapped for this one response when the filter is recorded;
 * - for GraphQL, the root field's resolver wrapper in the schema.
 * The exception filter drops it: an error body is never filtered (as when filtering ran in Nest's
 * interceptor chain, which errors bypass).
 */

interface ExpressResponseLike {
  req?: object;
  json(body: unknown): unknown;
}

interface FastifyReplyLike {
  request?: object;
  raw: unknown;
  send(payload?: unknown): unknown;
}

type Send = (this: FastifyReplyLike, payload?: unknown) => unknown;
type Json = (this: ExpressResponseLike, body: unknown) => unknown;

function isFastifyReply(res: unknown): res is FastifyReplyLike {
  return (
    typeof res === 'object' && res !== null && 'raw' in res && typeof (res as FastifyReplyLike).send === 'function'
  );
}

function isExpressResponse(res: unknown): res is ExpressResponseLike {
  return typeof res === 'object' && res !== null && typeof (res as ExpressResponseLike).json === 'function';
}

/** Fastify: the reply's own `send`, found on its prototype (no closure per request). */
const filteringSend: Send = function (this: FastifyReplyLike, payload?: unknown) {
  const send = (Object.getPrototypeOf(this) as { send: Send }).send;
  const request = this.request;
  const filter = request ? takeResponseFilter(request) : undefined;
  return send.call(this, filter && request ? filter.apply(payload, request) : payload);
};

/** Express: `res.json`, the method Nest's adapter sends an object or array with. */
const filteringJson: Json = function (this: ExpressResponseLike, body: unknown) {
  const json = (Object.getPrototypeOf(this) as { json: Json }).json;
  const request = this.req;
  const filter = request ? takeResponseFilter(request) : undefined;
  return json.call(this, filter && request ? filter.apply(body, request) : body);
};

/**
 * Records `filter` for the response of an HTTP request and wraps the response's send method for
 * this one response. A response whose method was already replaced by someone else keeps it
 * (through a wrapper that calls it).
 *
 * @internal
 */
export function armResponseFilter(request: object, response: unknown, filter: ResponseBodyFilter): void {
  getSecurityState(request).responseFilter = filter;
  const res = response as Record<string, unknown>;
  if (isFastifyReply(response)) {
    if (response.send === filteringSend) return;
    if (!Object.prototype.hasOwnProperty.call(res, 'send')) res.send = filteringSend;
    else res.send = wrapOwn(response.send.bind(response) as (p: unknown) => unknown, response.request);
  } else if (isExpressResponse(response)) {
    if (response.json === filteringJson) return;
    if (!Object.prototype.hasOwnProperty.call(res, 'json')) res.json = filteringJson;
    else res.json = wrapOwn(response.json.bind(response) as (p: unknown) => unknown, response.req);
  }
}

function wrapOwn(original: (payload: unknown) => unknown, request: object | undefined): (payload: unknown) => unknown {
  return (payload) => {
    const filter = request ? takeResponseFilter(request) : undefined;
    return original(filter && request ? filter.apply(payload, request) : payload);
  };
}

/** The pending filter of an HTTP response, removed from the request (it applies once). @internal */
export function takeResponseFilter(request: object): ResponseBodyFilter | undefined {
  const state = getSecurityState(request);
  const filter = state.responseFilter;
  if (filter) state.responseFilter = undefined;
  return filter;
}

/** Records `filter` for one field resolver call of a GraphQL request (`info` is its resolve info). @internal */
export function armGraphqlFilter(request: object, info: object, filter: ResponseBodyFilter): void {
  const state = getSecurityState(request);
  (state.graphqlFilters ??= new WeakMap()).set(info, filter);
}

/** The pending filter of a GraphQL field resolver call, removed (it applies once). @internal */
export function takeGraphqlFilter(request: object, info: object): ResponseBodyFilter | undefined {
  const filters = getSecurityState(rawRequest(request)).graphqlFilters;
  const filter = filters?.get(info);
  if (filter) filters?.delete(info);
  return filter;
}
