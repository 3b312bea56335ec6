import { StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { resolveResponseFilteringOptions } from './response-filtering.options';
import { ResponseTooDeepError, SensitiveFieldStripper } from './sensitive-fields.util';

const { denylist } = resolveResponseFilteringOptions(undefined, {
  profile: 'development',
  isTrustedProxy: () => false,
});
const stripper = new SensitiveFieldStripper(denylist, 8);

describe('SensitiveFieldStripper', () => {
  it('returns the same reference when there is nothing to strip', () => {
    const body = { id: 1, user: { name: 'a', tags: ['x', { y: 1 }] }, accessToken: 'kept' };
    expect(stripper.strip(body)).toBe(body);
  });

  it('strips denylisted fields at any depth, in any case or separator style, without mutating the input', () => {
    const body = {
      id: 1,
      password: 'p',
      profile: { PasswordHash: 'h', name: 'n', nested: [{ api_key: 'k', ok: true }, { ok: false }] },
      list: [{ ssn: '1' }, 'text', 3],
      'refresh-token': 'r',
      Secret: 's',
      token: 't',
      internalNotes: 'i',
    };
    const copy = JSON.parse(JSON.stringify(body)) as unknown;
    expect(stripper.strip(body)).toEqual({
      id: 1,
      profile: { name: 'n', nested: [{ ok: true }, { ok: false }] },
      list: [{}, 'text', 3],
    });
    expect(body).toEqual(copy);
  });

  it('keeps untouched branches by reference', () => {
    const untouched = { a: { b: 1 } };
    const out = stripper.strip({ untouched, bad: { password: 'x' } }) as { untouched: unknown };
    expect(out.untouched).toBe(untouched);
  });

  it('matches whole field names only', () => {
    const body = { accessToken: 'a', passwordPolicy: 'p', secretary: 's', tokens: 1 };
    expect(stripper.strip(body)).toBe(body);
  });

  it.each([
    ['a string', 'password'],
    ['a number', 42],
    ['null', null],
    ['a Buffer', Buffer.from('password')],
    ['a Date', new Date(0)],
    ['a StreamableFile', new StreamableFile(Buffer.from('x'))],
    ['a stream', Readable.from(['x'])],
    ['a Map', new Map([['password', 'x']])],
  ])('leaves %s untouched', (_label, value) => {
    expect(stripper.strip(value)).toBe(value);
  });

  it('filters objects through toJSON (ORM documents)', () => {
    const doc = { toJSON: () => ({ id: 1, passwordHash: 'h' }) };
    expect(stripper.strip(doc)).toEqual({ id: 1 });
    const clean = { toJSON: () => ({ id: 1 }) };
    expect(stripper.strip(clean)).toBe(clean);
  });

  it('filters class instances by their own fields', () => {
    class User {
      constructor(
        public id: string,
        public password: string,
      ) {}
    }
    expect(stripper.strip(new User('u', 'p'))).toEqual({ id: 'u' });
  });

  it('keeps a "__proto__" data key as data', () => {
    const body = JSON.parse('{"__proto__": {"polluted": true}, "password": "x"}') as object;
    const out = stripper.strip(body) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses responses deeper than maxDepth and cycles', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 10; i++) deep = { child: deep };
    expect(() => stripper.strip(deep)).toThrow(ResponseTooDeepError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => stripper.strip(cyclic)).toThrow(ResponseTooDeepError);
  });

  it('is inert with an empty denylist', () => {
    expect(new SensitiveFieldStripper(new Set(), 8).inert).toBe(true);
    expect(stripper.inert).toBe(false);
  });
});
