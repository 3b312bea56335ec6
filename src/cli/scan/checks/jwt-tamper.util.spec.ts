import { createHmac } from 'node:crypto';
import { decodeJwt, findWeakSecret, foreignSignature, signHs, tamperedPayload, unsigned } from './jwt-tamper.util';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const sign = (payload: object, secret: string) => {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

describe('JWT tampering helpers', () => {
  const strong = sign({ sub: 'u1', exp: 2_000_000_000 }, 'a-strong-random-secret-of-more-than-32-bytes!');
  const jwt = decodeJwt(strong)!;

  it('decodes compact JWS and refuses anything else', () => {
    expect(jwt.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(jwt.payload).toEqual({ sub: 'u1', exp: 2_000_000_000 });
    for (const bad of ['opaque', 'a.b', 'a.b.c', `${b64({ typ: 'JWT' })}.${b64({})}.x`])
      expect(decodeJwt(bad)).toBeUndefined();
  });

  it('finds a published default secret offline, and only then', () => {
    expect(findWeakSecret(decodeJwt(sign({ sub: 'u1' }, 'your-256-bit-secret'))!)).toBe('your-256-bit-secret');
    expect(findWeakSecret(jwt)).toBeUndefined();
  });

  it('builds the attack tokens', () => {
    expect(unsigned({ alg: 'none' }, { sub: 'u1' })).toBe(`${b64({ alg: 'none' })}.${b64({ sub: 'u1' })}.`);
    const foreign = foreignSignature(jwt).split('.');
    expect(foreign.slice(0, 2)).toEqual(jwt.parts.slice(0, 2));
    expect(foreign[2]).not.toBe(jwt.parts[2]);
    const tampered = decodeJwt(tamperedPayload(jwt))!;
    expect(tampered.parts[2]).toBe(jwt.parts[2]);
    expect(tampered.payload.exp).not.toBe(jwt.payload.exp);
    expect(signHs({ alg: 'HS256' }, { sub: 'u1' }, 'k')).toBe(
      `${b64({ alg: 'HS256' })}.${b64({ sub: 'u1' })}.${createHmac('sha256', 'k')
        .update(`${b64({ alg: 'HS256' })}.${b64({ sub: 'u1' })}`)
        .digest('base64url')}`,
    );
  });
});
