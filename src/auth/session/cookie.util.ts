import { parse, serialize, type SerializeOptions } from 'cookie';
import { headerValue, type HttpRequestLike } from '../../core/context/get-request';

/**
 * The value of cookie `name` in the request's `Cookie` header (the first one when repeated), or
 * undefined. Reads the header itself, so no cookie-parser or @fastify/cookie is needed. Parsed by
 * the `cookie` package: about twice as fast as the hand-written split-and-decode loop it replaced
 * (it decodes only values that hold a `%`), and a malformed percent-encoding comes back as is (a
 * bad credential, never a 500).
 *
 * @internal
 */
export function readCookie(req: HttpRequestLike, name: string): string | undefined {
  const header = headerValue(req, 'cookie');
  if (!header) return undefined;
  return parse(header)[name] || undefined;
}

/** One `Set-Cookie` value (the `cookie` package validates name, value, path and domain). @internal */
export function serializeCookie(name: string, value: string, options: SerializeOptions): string {
  return serialize(name, value, options);
}

interface NodeLikeResponse {
  getHeader(name: string): unknown;
  setHeader(name: string, value: string | readonly string[]): unknown;
}
interface FastifyLikeReply {
  header(name: string, value: string): unknown;
  raw: unknown;
}

function isFastifyReply(res: unknown): res is FastifyLikeReply {
  return (
    typeof res === 'object' && res !== null && 'raw' in res && typeof (res as FastifyLikeReply).header === 'function'
  );
}

function isNodeResponse(res: unknown): res is NodeLikeResponse {
  return (
    typeof res === 'object' &&
    res !== null &&
    typeof (res as NodeLikeResponse).setHeader === 'function' &&
    typeof (res as NodeLikeResponse).getHeader === 'function'
  );
}

/**
 * Adds `Set-Cookie` headers to an Express response, a Fastify reply or a raw Node response,
 * keeping the ones already set. Throws a TypeError for anything else: a session whose cookies
 * silently went nowhere would look like a working login.
 *
 * @internal
 */
export function appendSetCookies(res: unknown, cookies: readonly string[]): void {
  if (isFastifyReply(res)) {
    // Fastify keeps every value given for set-cookie (it appends instead of replacing).
    for (const cookie of cookies) res.header('set-cookie', cookie);
    return;
  }
  if (!isNodeResponse(res)) {
    throw new TypeError(
      'SessionCookies: `response` must be the Express response or Fastify reply (use @Res({ passthrough: true }))',
    );
  }
  const existing = res.getHeader('set-cookie');
  const kept = existing === undefined ? [] : Array.isArray(existing) ? (existing as string[]) : [String(existing)];
  res.setHeader('set-cookie', [...kept, ...cookies]);
}
