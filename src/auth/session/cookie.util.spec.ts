import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { appendSetCookies, readCookie, serializeCookie } from './cookie.util';

const request = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie }, method: 'GET' });

describe('readCookie', () => {
  it.each([
    ['a=1; b=2', 'b', '2'],
    ['a=1;b=2', 'b', '2'],
    ['  b = 2 ', 'b', '2'],
    ['a=1', 'b', undefined],
    ['b=', 'b', undefined],
    ['b=x%20y', 'b', 'x y'],
    // A malformed percent-encoding is read as is: a bad credential, not a 500.
    ['b=%E0%A4%A', 'b', '%E0%A4%A'],
    // The first of two cookies with one name (browsers send the most specific path first).
    ['b=first; b=second', 'b', 'first'],
    // Names are exact: no prefix match.
    ['__Host-b=1; b=2', 'b', '2'],
    ['bb=1', 'b', undefined],
    // No prototype: a name like toString or __proto__ is just a name.
    ['a=1', 'toString', undefined],
    ['__proto__=1', '__proto__', '1'],
  ])('%j → %s = %j', (header, name, value) => {
    expect(readCookie(request(header), name)).toBe(value);
  });

  it('answers undefined without a Cookie header', () => {
    expect(readCookie(request(), 'b')).toBeUndefined();
  });
});

describe('serializeCookie', () => {
  it('writes the security attributes', () => {
    expect(
      serializeCookie('__Host-a', 'v.1', { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 900 }),
    ).toBe('__Host-a=v.1; Max-Age=900; Path=/; HttpOnly; Secure; SameSite=Lax');
    expect(serializeCookie('r', 'v', { httpOnly: true, secure: true, sameSite: 'strict', path: '/auth/session' })).toBe(
      'r=v; Path=/auth/session; HttpOnly; Secure; SameSite=Strict',
    );
  });

  it('expires a cookie with Max-Age=0 and a past Expires', () => {
    expect(serializeCookie('a', '', { path: '/', maxAge: 0, expires: new Date(0) })).toBe(
      'a=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    );
  });

  it.each([
    ['a name with a space', 'a b', 'v', {}],
    ['a path with ;', 'a', 'v', { path: '/x; Domain=evil.example' }],
  ])('refuses %s (no header injection)', (_what, name, value, options) => {
    expect(() => serializeCookie(name, value, options)).toThrow(TypeError);
  });

  it('percent-encodes a value with separators', () => {
    expect(serializeCookie('a', 'x; Path=/', {})).toBe('a=x%3B%20Path%3D%2F');
  });
});

describe('appendSetCookies', () => {
  const response = () => new ServerResponse(new IncomingMessage(new Socket()));

  it('adds to the Set-Cookie headers already on a Node/Express response', () => {
    const res = response();
    res.setHeader('set-cookie', 'theirs=1');
    appendSetCookies(res, ['a=1', 'b=2']);
    appendSetCookies(res, ['c=3']);
    expect(res.getHeader('set-cookie')).toEqual(['theirs=1', 'a=1', 'b=2', 'c=3']);
  });

  it('refuses something that is no response', () => {
    expect(() => appendSetCookies({}, ['a=1'])).toThrow(/must be the Express response or Fastify reply/);
    expect(() => appendSetCookies(undefined, ['a=1'])).toThrow(TypeError);
  });
});
