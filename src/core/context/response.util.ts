interface ExpressLikeResponse {
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  getHeader?(name: string): unknown;
  removeHeader?(name: string): unknown;
}
interface FastifyLikeReply {
  header(name: string, value: unknown): unknown;
  getHeader(name: string): unknown;
  removeHeader(name: string): unknown;
  raw: ExpressLikeResponse;
}

function isFastifyReply(res: unknown): res is FastifyLikeReply {
  return (
    typeof res === 'object' && res !== null && 'raw' in res && typeof (res as FastifyLikeReply).header === 'function'
  );
}

/**
 * Sets a response header on an Express response, a Fastify reply or a raw Node response.
 *
 * @internal
 */
export function setResponseHeader(res: unknown, name: string, value: string | number): void {
  if (!res) return;
  if (isFastifyReply(res)) res.header(name, value);
  else if (typeof (res as ExpressLikeResponse).setHeader === 'function')
    (res as ExpressLikeResponse).setHeader(name, value);
}

/** Reads a response header already set (Express, Fastify or raw). @internal */
export function getResponseHeader(res: unknown, name: string): unknown {
  if (!res) return undefined;
  if (isFastifyReply(res)) return res.getHeader(name) ?? res.raw.getHeader?.(name);
  return (res as ExpressLikeResponse).getHeader?.(name);
}

/**
 * Removes a response header (Express, Fastify or raw). Fastify's `reply.removeHeader` also removes
 * it from the raw response while the head is unsent, so the raw one is not called a second time.
 *
 * @internal
 */
export function removeResponseHeader(res: unknown, name: string): void {
  if (!res) return;
  if (isFastifyReply(res)) res.removeHeader(name);
  else (res as ExpressLikeResponse).removeHeader?.(name);
}
