import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { SecurityConfigError } from '../core/errors/security-config.error';
import { resolveAuthOptions } from './auth.options';
import type { ResolveContext } from '../core/options/core.options';

const dev: ResolveContext = { profile: 'development', isTrustedProxy: () => false };
const prod: ResolveContext = { profile: 'production', isTrustedProxy: () => false };
const SECRET = randomBytes(32).toString('hex');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = (k: typeof rsa.publicKey) => k.export({ type: 'spki', format: 'pem' }).toString();

describe('resolveAuthOptions', () => {
  it('defaults: enabled, jwt only, 15 min / 7 days / 30 days, 30 s tolerance, exp required', () => {
    const resolved = resolveAuthOptions(undefined, dev);
    expect(resolved).toMatchObject({
      enabled: true,
      defaultMethods: ['jwt'],
      jwt: {
        keys: [],
        accessTokenTtlSec: 900,
        refreshTokenTtlSec: 604800,
        refreshFamilyTtlSec: 2592000,
        clockToleranceSec: 30,
        requireExp: true,
        rolesClaim: ['roles'],
        tierClaim: ['tier'],
        cacheSize: 10000,
      },
      apiKeys: { enabled: false, prefixes: ['sk_live', 'sk_test'], header: 'x-api-key' },
    });
  });

  it('imports keys once as KeyObjects pinned to their algorithm', () => {
    const resolved = resolveAuthOptions(
      { jwt: { secret: SECRET, keys: [{ kid: 'rs', alg: 'RS256', publicKey: pem(rsa.publicKey) }] } },
      dev,
    );
    expect(resolved.jwt.keys.map((k) => [k.alg, k.verifyKey.type])).toEqual([
      ['HS256', 'secret'],
      ['RS256', 'public'],
    ]);
    expect(resolved.jwt.signingKey?.alg).toBe('HS256');
    expect(resolveAuthOptions({ apiKeys: { pepper: SECRET } }, dev).defaultMethods).toEqual(['jwt', 'api-key']);
  });

  it.each<[string, unknown, RegExp]>([
    ['a short secret', { jwt: { secret: 'changeme' } }, /auth\.jwt\.secret is 8 bytes.*at least 32.*randomBytes/],
    ['alg none', { jwt: { keys: [{ alg: 'none', secret: SECRET }] } }, /alg must be one of .*"none" is never accepted/],
    [
      'an HS key with a public key',
      { jwt: { keys: [{ alg: 'HS256', publicKey: pem(rsa.publicKey) }] } },
      /HMAC.*public\/private key/,
    ],
    [
      'an RS key given a secret',
      { jwt: { keys: [{ alg: 'RS256', secret: SECRET }] } },
      /secret cannot be used with RS256/,
    ],
    [
      'an EC key pinned to RS256',
      { jwt: { keys: [{ alg: 'RS256', publicKey: pem(ec.publicKey) }] } },
      /ec .*needs an RSA key/,
    ],
    [
      'an RSA key pinned to ES256',
      { jwt: { keys: [{ alg: 'ES256', publicKey: pem(rsa.publicKey) }] } },
      /needs an EC prime256v1 key/,
    ],
    [
      'a 1024-bit RSA key',
      { jwt: { keys: [{ alg: 'RS256', publicKey: pem(weakRsa.publicKey) }] } },
      /shorter than 2048 bits/,
    ],
    [
      'garbage PEM',
      { jwt: { keys: [{ alg: 'RS256', publicKey: '-----BEGIN PUBLIC KEY-----\nxx' }] } },
      /could not be imported/,
    ],
    [
      'two keys without kid',
      { jwt: { secret: SECRET, keys: [{ alg: 'HS512', secret: SECRET }] } },
      /several keys without a kid/,
    ],
    [
      'a kid with odd characters',
      { jwt: { keys: [{ kid: "a'b", alg: 'HS256', secret: SECRET }] } },
      /kid has characters/,
    ],
    [
      'a typo',
      { jwt: { secrett: SECRET } },
      /auth\.jwt\.secrett is not a known option.*Did you mean "auth\.jwt\.secret"/,
    ],
    ['http JWKS in production', { jwt: { jwksUri: 'http://idp.test/jwks' } }, /must use https in production/],
    [
      'a remote JWKS without audience in production',
      { jwt: { jwksUri: 'https://idp.test/jwks', issuer: 'https://idp.test/' } },
      /auth\.jwt\.audience must be set in production when jwksUri is/,
    ],
    [
      'a remote JWKS without issuer in production',
      { jwt: { jwksUri: 'https://idp.test/jwks', audience: 'api' } },
      /auth\.jwt\.issuer must be set in production/,
    ],
    ['a non-URL JWKS', { jwt: { jwksUri: 'idp' } }, /jwksUri must be an http\(s\) URL/],
    [
      'api-key default without pepper',
      { defaultMethods: ['api-key'] },
      /includes "api-key" but auth\.apiKeys\.pepper is not set/,
    ],
    ['an unknown method', { defaultMethods: ['basic'] }, /defaultMethods\[0\] must be one of "jwt", "api-key"/],
    ['empty methods', { defaultMethods: [] }, /must not be empty/],
    ['a bad prefix', { apiKeys: { pepper: SECRET, prefixes: ['SK-Live'] } }, /prefixes\[0\] "SK-Live"/],
    [
      'a store without methods',
      { apiKeys: { pepper: SECRET, store: {} } },
      /store must implement findById, save and touch/,
    ],
    ['an unknown signing kid', { jwt: { secret: SECRET, signingKid: 'x' } }, /signingKid names no key/],
    [
      'refresh longer than its family',
      { jwt: { refreshTokenTtlSec: 7200, refreshFamilyTtlSec: 3600 } },
      /refreshTokenTtlSec must be at most 3600/,
    ],
    ['a negative tolerance', { jwt: { clockToleranceSec: -1 } }, /clockToleranceSec must be at least 0/],
    ['a string section', { jwt: 'secret' }, /auth\.jwt must be an object/],
    [
      'an Ed448 key (jose verifies EdDSA with Ed25519 only)',
      { jwt: { keys: [{ alg: 'EdDSA', publicKey: generateKeyPairSync('ed448').publicKey }] } },
      /publicKey is a ed448 key but EdDSA needs an Ed25519 key/,
    ],
    ['a key lifetime under a minute', { apiKeys: { maxLifetimeSec: 10 } }, /maxLifetimeSec must be at least 60/],
    ['a fractional key lifetime', { apiKeys: { maxLifetimeSec: 90.5 } }, /maxLifetimeSec must be a whole number/],
    ['a string login age', { apiKeys: { mintMaxLoginAgeSec: '5m' } }, /mintMaxLoginAgeSec must be a finite number/],
    ['a login age of 0', { apiKeys: { mintMaxLoginAgeSec: 0 } }, /mintMaxLoginAgeSec must be at least 1/],
    [
      'a non-boolean revokeWithSession',
      { apiKeys: { revokeWithSession: 'yes' } },
      /revokeWithSession must be true or false/,
    ],
    [
      'a typo in apiKeys',
      { apiKeys: { maxLifetime: 60 } },
      /apiKeys\.maxLifetime is not a known option\. Did you mean "auth\.apiKeys\.maxLifetimeSec"/,
    ],
  ])('refuses %s', (_name, value, message) => {
    const ctx = _name.includes('production') ? prod : dev;
    expect(() => resolveAuthOptions(value, ctx)).toThrow(SecurityConfigError);
    expect(() => resolveAuthOptions(value, ctx)).toThrow(message);
  });

  it('accepts a remote JWKS with issuer and audience in production, and without them in development', () => {
    const jwt = { jwksUri: 'https://idp.test/jwks', issuer: 'https://idp.test/', audience: 'api' };
    expect(resolveAuthOptions({ jwt }, prod).jwt.audience).toEqual(['api']);
    expect(resolveAuthOptions({ jwt: { jwksUri: 'https://idp.test/jwks' } }, dev).jwt.remoteJwks).toBeDefined();
  });

  it('API keys: 90-day lifetime, login within 5 min to mint, revoked with their session, test keys refused in production only', () => {
    expect(resolveAuthOptions({ apiKeys: { pepper: SECRET } }, dev).apiKeys).toMatchObject({
      maxLifetimeSec: 7_776_000,
      mintMaxLoginAgeSec: 300,
      revokeWithSession: true,
      refusedPrefixes: [],
    });
    expect(resolveAuthOptions({ apiKeys: { pepper: SECRET } }, prod).apiKeys.refusedPrefixes).toEqual(['sk_test']);
    const allowed = { apiKeys: { pepper: SECRET, allowTestKeysInProduction: true } };
    expect(resolveAuthOptions(allowed, prod).apiKeys.refusedPrefixes).toEqual([]);
    const custom = { apiKeys: { pepper: SECRET, prefixes: ['acme_live', 'acme_test', 'testing'] } };
    expect(resolveAuthOptions(custom, prod).apiKeys.refusedPrefixes).toEqual(['acme_test']);
  });

  it('accepts a prototype-less object', () => {
    const raw = Object.create(null) as Record<string, unknown>;
    raw.enabled = false;
    expect(resolveAuthOptions(raw, dev).enabled).toBe(false);
  });
});
