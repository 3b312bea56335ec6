import { REDACTED, redact } from './redact.util';

describe('redact', () => {
  it('redacts sensitive field names at any depth, case-insensitively', () => {
    const out = redact({
      user: 'alice',
      Password: 'hunter2',
      nested: {
        apiKey: 'k',
        API_KEY: 'k',
        refreshToken: 'r',
        client_secret: 's',
        list: [{ authorization: 'Bearer x' }],
      },
    });
    expect(out).toEqual({
      user: 'alice',
      Password: REDACTED,
      nested: {
        apiKey: REDACTED,
        API_KEY: REDACTED,
        refreshToken: REDACTED,
        client_secret: REDACTED,
        list: [{ authorization: REDACTED }],
      },
    });
  });

  it('redacts values that look like JWTs or API keys wherever they appear', () => {
    expect(redact({ note: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig' })).toEqual({ note: REDACTED });
    expect(redact(['sk_live_0123456789abcdefghij'])).toEqual([REDACTED]);
  });

  it('redacts extra configured keys and survives cycles', () => {
    const value: Record<string, unknown> = { iban: 'DE00', ok: 1 };
    value.self = value;
    expect(redact(value, ['iban'])).toEqual({ iban: REDACTED, ok: 1, self: '[…]' });
  });

  it.each([
    'key',
    'Key',
    'hmacKey',
    'signingKey',
    'encryptionKey',
    'apiKey',
    'x-api-key',
    'clientSecret',
    'privateKey',
    'secretKey',
    'access_key',
    'SESSION_KEY',
    'keys',
    'passphrase',
  ])('redacts the field %s', (name) => {
    expect(redact({ [name]: 'value' })).toEqual({ [name]: REDACTED });
  });

  it.each(['keyId', 'kid', 'monkeyBusiness', 'keyPrefix', 'rule', 'resourceType'])('keeps the field %s', (name) => {
    expect(redact({ [name]: 'value' })).toEqual({ [name]: 'value' });
  });
});
