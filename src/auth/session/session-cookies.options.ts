import type { KeyObject } from 'node:crypto';
import { SecurityConfigError } from '../../core/errors/security-config.error';
import type { ResolveContext } from '../../core/options/core.options';
import {
  describe,
  join,
  optionKeys,
  readBoolean,
  readEnum,
  readString,
  readStrictSection,
  type Raw,
} from '../../core/options/validate.util';
import { importSecret, KeyImportError } from '../jwt/jwt-crypto.util';

/**
 * Cookie sessions for browsers: `SessionCookies` issues the access and refresh tokens as
 * `HttpOnly` cookies, and a signed double-submit CSRF token that every unsafe request
 * authenticated by the access cookie must echo in a header.
 *
 * @publicApi
 */
export interface SessionCookieOptions {
  /**
   * Key of the CSRF tokens' HMAC (at least 32 random bytes). Required: without it there are no
   * cookie sessions. Keep it apart from the JWT secret.
   */
  csrfSecret: string | Buffer;
  /**
   * Name of the access-token cookie (`HttpOnly`, `Path=/`).
   * @default '__Host-rampart_access' (`'rampart_access'` when `secure` is false)
   */
  accessCookie?: string;
  /**
   * Name of the refresh-token cookie (`HttpOnly`, `Path=refreshPath`). It cannot take the
   * `__Host-` prefix, which requires `Path=/`.
   * @default '__Secure-rampart_refresh' (`'rampart_refresh'` when `secure` is false)
   */
  refreshCookie?: string;
  /**
   * Name of the CSRF cookie (readable by scripts, `Path=/`).
   * @default '__Host-rampart_csrf' (`'rampart_csrf'` when `secure` is false)
   */
  csrfCookie?: string;
  /**
   * Request header that must carry the CSRF token on POST, PUT, PATCH and DELETE requests
   * authenticated by the access cookie.
   * @default 'x-csrf-token'
   */
  csrfHeader?: string;
  /**
   * `Path` of the refresh cookie: browsers send it only to this path and below. Put the refresh
   * and logout routes there.
   * @default '/auth/session'
   */
  refreshPath?: string;
  /**
   * `SameSite` of every session cookie. `'none'` is not offered: cookies that any site can make
   * the browser send are what CSRF needs.
   * @default 'lax'
   */
  sameSite?: 'lax' | 'strict';
  /**
   * `Secure` attribute (cookies only travel over https; browsers also accept them from
   * `http://localhost`). Turning it off is refused in the `production` profile.
   * @default true
   */
  secure?: boolean;
}

/** @internal */
export interface ResolvedSessionCookieOptions {
  csrfKey: KeyObject;
  accessCookie: string;
  refreshCookie: string;
  csrfCookie: string;
  /** Lower case, as Node stores request headers. */
  csrfHeader: string;
  refreshPath: string;
  sameSite: 'lax' | 'strict';
  secure: boolean;
}

const SESSION_KEYS = optionKeys<SessionCookieOptions>()([
  'csrfSecret',
  'accessCookie',
  'refreshCookie',
  'csrfCookie',
  'csrfHeader',
  'refreshPath',
  'sameSite',
  'secure',
]);

/** RFC 6265 cookie-name characters (an HTTP token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A path of RFC 3986 segment characters, starting with `/`; no `;` or `,` (attribute injection). */
const PATH = /^\/[A-Za-z0-9\-._~!$&'()*+=:@%/]*$/;

function readCookieName(raw: Raw, key: string, path: string, fallback: string, secure: boolean): string {
  const name = readString(raw, key, path, fallback);
  const where = join(path, key);
  if (!TOKEN.test(name) || name.length > 64) {
    throw SecurityConfigError.create(where, `"${name}" is not a valid cookie name`, 'Use letters, digits, - and _');
  }
  const prefixed = name.startsWith('__Host-') || name.startsWith('__Secure-');
  if (prefixed && !secure) {
    throw SecurityConfigError.create(
      where,
      `"${name}" needs the Secure attribute (browsers drop __Host- and __Secure- cookies without it)`,
      'Drop the prefix or keep secure: true',
    );
  }
  return name;
}

function readCsrfKey(value: unknown, path: string): KeyObject {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
    throw SecurityConfigError.create(
      path,
      `must be a string or Buffer of at least 32 random bytes, got ${describe(value)}`,
      'Set it to a secret of its own (not the JWT secret)',
    );
  }
  try {
    return importSecret(value);
  } catch (error) {
    if (error instanceof KeyImportError) throw SecurityConfigError.create(path, error.message);
    throw error;
  }
}

/** Validates `auth.session` once at boot. @internal */
export function resolveSessionCookies(
  value: unknown,
  ctx: ResolveContext,
  path: string,
): ResolvedSessionCookieOptions | undefined {
  if (value === undefined) return undefined;
  const raw = readStrictSection(value, SESSION_KEYS, path);
  const secure = readBoolean(raw, 'secure', path, true);
  if (!secure && ctx.profile === 'production') {
    throw SecurityConfigError.create(
      join(path, 'secure'),
      'cannot be false in the production profile (session cookies would travel over plain http)',
      'Serve the app over https and remove secure: false',
    );
  }
  const csrfKey = readCsrfKey(raw.csrfSecret, join(path, 'csrfSecret'));
  const refreshPath = readString(raw, 'refreshPath', path, '/auth/session');
  if (!PATH.test(refreshPath) || refreshPath === '/') {
    throw SecurityConfigError.create(
      join(path, 'refreshPath'),
      `"${refreshPath}" must be a path below / (e.g. "/auth/session")`,
      'The refresh cookie goes only to the refresh and logout routes',
    );
  }
  const refreshCookie = readCookieName(
    raw,
    'refreshCookie',
    path,
    secure ? '__Secure-rampart_refresh' : 'rampart_refresh',
    secure,
  );
  if (refreshCookie.startsWith('__Host-')) {
    throw SecurityConfigError.create(
      join(path, 'refreshCookie'),
      `"${refreshCookie}" cannot use the __Host- prefix: it requires Path=/, and the refresh cookie is scoped to refreshPath`,
      'Use the __Secure- prefix',
    );
  }
  const csrfHeader = readString(raw, 'csrfHeader', path, 'x-csrf-token').toLowerCase();
  if (!TOKEN.test(csrfHeader)) {
    throw SecurityConfigError.create(join(path, 'csrfHeader'), `"${csrfHeader}" is not a valid header name`);
  }
  const resolved: ResolvedSessionCookieOptions = {
    csrfKey,
    accessCookie: readCookieName(
      raw,
      'accessCookie',
      path,
      secure ? '__Host-rampart_access' : 'rampart_access',
      secure,
    ),
    refreshCookie,
    csrfCookie: readCookieName(raw, 'csrfCookie', path, secure ? '__Host-rampart_csrf' : 'rampart_csrf', secure),
    csrfHeader,
    refreshPath,
    sameSite: readEnum(raw, 'sameSite', path, ['lax', 'strict'] as const, 'lax'),
    secure,
  };
  const names = [resolved.accessCookie, resolved.refreshCookie, resolved.csrfCookie];
  if (new Set(names).size !== names.length) {
    throw SecurityConfigError.create(
      path,
      'uses one cookie name twice',
      'Give accessCookie, refreshCookie and csrfCookie distinct names',
    );
  }
  return resolved;
}
