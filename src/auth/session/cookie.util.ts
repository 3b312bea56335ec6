import { serialize, type SerializeOptions } from 'cookie';
import { headerValue, type HttpRequestLike } from '../../core/context/get-request';

/** A malformed percent-encoding (`%E0%A4%A`) is a bad credential, never a 500 on every route. */
function decodeCookie(value: string): string | undefined {
  try {
    return decodeURIComponent(value) || undefined;
  } catch {
    return value || undefined;
  }
}

/**
 * The value of cookie `name` in the request's `Cookie` header (the first one when repeated), or
 * undefined. Reads the header itself: no cookie-parser or @fastify/cookie needed. One scan of
 * the header for the one cookie asked for; `cookie.parse` would build an object of every cookie
 * on each authenticated request.
 *
 * @internal
 */
export function readCookie(req: HttpRequestLike, name: string): string | undefined {
  const header = headerValue(req, 'cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return decodeCookie(part.slice(eq + 1).trim());
  }
  return undefined;
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
