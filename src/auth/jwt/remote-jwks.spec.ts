import { generateKeyPairSync } from 'node:crypto';
import { RemoteJwksSet, type FetchLike } from './remote-jwks';

const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const jwk = (kid: string) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid });
const options = {
  url: 'https://idp.test/jwks',
  timeoutMs: 100,
  cooldownMs: 1_000,
  maxAgeMs: 10_000,
  defaultAlgorithm: 'RS256' as const,
};

function setup(responses: Array<object | Error>) {
  let clock = 0;
  let calls = 0;
  const fetchImpl: FetchLike = async () => {
    const next = responses[Math.min(calls++, responses.length - 1)];
    if (next instanceof Error) throw next;
    return { ok: true, status: 200, json: async () => next };
  };
  const set = new RemoteJwksSet(options, fetchImpl, () => clock);
  return { set, calls: () => calls, tick: (ms: number) => (clock += ms) };
}

describe('RemoteJwksSet', () => {
  it('pins EC keys to their curve algorithm and serves them by kid', async () => {
    const { set, calls } = setup([{ keys: [jwk('a')] }]);
    await set.refresh();
    expect((await set.get('a')).alg).toBe('ES256');
    expect(set.peek('a')).toBeDefined();
    expect(calls()).toBe(1);
  });

  it('refetches an unknown kid once per cooldown', async () => {
    const { set, calls, tick } = setup([{ keys: [jwk('a')] }, { keys: [jwk('a'), jwk('b')] }]);
    tick(1);
    await set.refresh();
    await expect(set.get('b')).rejects.toMatchObject({ reason: 'unknown_kid' });
    expect(calls()).toBe(1);
    tick(1_000);
    expect((await set.get('b')).kid).toBe('b');
    expect(calls()).toBe(2);
  });

  it('keeps the last good keys when the provider fails', async () => {
    const { set, tick } = setup([{ keys: [jwk('a')] }, new Error('ECONNREFUSED')]);
    await set.refresh();
    tick(20_000); // stale
    expect(set.peek('a')).toBeUndefined();
    expect((await set.get('a')).kid).toBe('a');
  });

  it('reports jwks_unavailable when nothing was ever fetched', async () => {
    const { set } = setup([new Error('down')]);
    await expect(set.get('a')).rejects.toMatchObject({ reason: 'jwks_unavailable' });
  });

  it('skips symmetric, encryption-only and private parts of keys', async () => {
    const { set } = setup([
      {
        keys: [
          { kty: 'oct', k: 'c2VjcmV0', kid: 'oct' },
          { ...jwk('enc'), use: 'enc' },
          pair.privateKey.export({ format: 'jwk' }),
        ],
      },
    ]);
    await set.refresh();
    await expect(set.get('oct')).rejects.toMatchObject({ reason: 'unknown_kid' });
    await expect(set.get('enc')).rejects.toMatchObject({ reason: 'unknown_kid' });
    expect((await set.get(undefined)).verifyKey.type).toBe('public');
  });
});
