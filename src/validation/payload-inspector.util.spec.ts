import { inspectPayload, type PayloadLimits } from './payload-inspector.util';

const limits: PayloadLimits = { maxDepth: 5, forbiddenKeys: new Set(['__proto__', 'constructor', 'prototype']) };

describe('inspectPayload', () => {
  it('passes ordinary JSON', () => {
    expect(inspectPayload({ a: [1, 'x', { b: null, c: true }], d: 1.5 }, limits)).toBeUndefined();
  });

  it.each([
    ['a __proto__ key from JSON.parse', JSON.parse('{"a":{"__proto__":{"x":1}}}'), 'forbidden_key', 'a.__proto__'],
    ['a constructor key', { list: [{ constructor: { prototype: {} } }] }, 'forbidden_key', 'list.0.constructor'],
    ['a prototype key', { prototype: 1 }, 'forbidden_key', 'prototype'],
    ['a NUL byte in a value', { name: 'a\u0000b' }, 'null_byte', 'name'],
    ['a NUL byte in a key', { 'a\u0000': 1 }, 'null_byte', 'a\u0000'],
    ['Infinity', JSON.parse('{"n":1e999}'), 'non_finite_number', 'n'],
    ['NaN', { n: NaN }, 'non_finite_number', 'n'],
    ['deep nesting', JSON.parse('{"a":'.repeat(6) + '1' + '}'.repeat(6)), 'max_depth', 'a.a.a.a.a'],
    ['deep arrays', JSON.parse('['.repeat(10) + ']'.repeat(10)), 'max_depth', '0.0.0.0.0'],
  ])('reports %s', (_name, value, reason, path) => {
    expect(inspectPayload(value, limits)).toEqual({ reason, path });
  });

  it('does not overflow the stack on hostile nesting', () => {
    const hostile = JSON.parse('['.repeat(50_000) + ']'.repeat(50_000)) as unknown;
    expect(inspectPayload(hostile, limits)?.reason).toBe('max_depth');
  });

  it('inspects query objects whose prototype is an empty null-prototype object (Fastify)', () => {
    const query = (entries: Record<string, unknown>) =>
      Object.assign(Object.create(Object.create(null) as object) as object, entries);
    expect(inspectPayload(query({ q: 'a', constructor: 'x' }), limits)).toEqual({
      reason: 'forbidden_key',
      path: 'constructor',
    });
    expect(inspectPayload(query({ name: 'a\u0000b' }), limits)).toEqual({ reason: 'null_byte', path: 'name' });
    expect(inspectPayload(query({ q: 'a' }), limits)).toBeUndefined();
  });

  it('does not descend into buffers or class instances', () => {
    expect(inspectPayload({ file: Buffer.from('\u0000') }, limits)).toBeUndefined();
    class Upload {
      name = 'a\u0000b';
    }
    expect(inspectPayload({ file: new Upload() }, limits)).toBeUndefined();
  });
});
