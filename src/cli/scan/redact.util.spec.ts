import { redactExchange } from './redact.util';
import type { HttpExchange } from './scan.types';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LWFsaWNlIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';

describe('redactExchange', () => {
  const exchange: HttpExchange = {
    identity: 'alice',
    request: {
      method: 'POST',
      url: `http://127.0.0.1:3000/login?access_token=${JWT}&page=2`,
      headers: {
        Authorization: `Bearer ${JWT}`,
        'X-API-Key': 'sk_live_abcdefgh12345678',
        'X-Custom-Auth': 'static-secret-of-alice',
      },
      body: JSON.stringify({
        username: 'alice',
        password: 'alice-pass',
        nested: { apiKey: 'k-123', note: `token ${JWT}` },
      }),
    },
    response: {
      status: 200,
      headers: { 'set-cookie': 'sid=abc', 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          id: 'u1',
          passwordHash: `${'a'.repeat(32)}:${'b'.repeat(64)}`,
          bio: '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
        },
      ]),
      truncated: false,
      ms: 3,
    },
  };
  const r = redactExchange(exchange, ['static-secret-of-alice']);
  const text = JSON.stringify(r);

  it('removes credentials headers, tokens in URLs and bodies, secret fields, hashes and known secrets', () => {
    expect(r.request.headers).toMatchObject({
      Authorization: '[REDACTED]',
      'X-API-Key': '[REDACTED]',
      'X-Custom-Auth': '[REDACTED]',
    });
    expect(r.response?.headers['set-cookie']).toBe('[REDACTED]');
    expect(r.request.url).toMatch(/access_token=%5BREDACTED%5D&page=2$/);
    for (const secret of [
      JWT,
      'alice-pass',
      'k-123',
      'sk_live_abcdefgh12345678',
      'static-secret-of-alice',
      'a'.repeat(32),
      '$2b$10$',
    ])
      expect(text).not.toContain(secret);
  });

  it('keeps what is needed to understand the evidence', () => {
    expect(JSON.parse(r.request.body!)).toMatchObject({ username: 'alice', password: '[REDACTED 10 chars]' });
    expect(JSON.parse(r.response!.body)).toEqual([
      { id: 'u1', passwordHash: '[REDACTED 97 chars]', bio: '[REDACTED 60 chars]' },
    ]);
    expect(r.response?.status).toBe(200);
  });

  it('leaves the original exchange untouched', () => {
    expect(exchange.request.headers.Authorization).toBe(`Bearer ${JWT}`);
  });
});
