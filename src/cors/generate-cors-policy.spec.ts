import { SecurityConfigError } from '../core/errors/security-config.error';
import { DEVELOPMENT_ORIGINS, generateCorsPolicy } from './generate-cors-policy';

describe('generateCorsPolicy', () => {
  it('builds a production policy and explains every origin rule', () => {
    const report = generateCorsPolicy('production', ['https://app.example.com', 'https://*.example.com'], {
      credentials: true,
    });
    expect(report.options).toEqual({
      origins: ['https://app.example.com', 'https://*.example.com'],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-ID'],
      exposedHeaders: ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-ID'],
      credentials: true,
      maxAge: 600,
    });
    const text = report.explanation.join('\n');
    expect(text).toMatch(/https:\/\/app\.example\.com: exact match only/);
    expect(text).toMatch(
      /any subdomain of example\.com .* not example\.com itself.*evil-example\.com or example\.com\.evil\.com/,
    );
    expect(text).toMatch(/Credentials: allowed/);
    expect(text).toMatch(/Plain-http origins are refused in production/);
  });

  it('gives development the usual local dev-server origins and a short preflight cache', () => {
    const report = generateCorsPolicy('development', []);
    expect(report.options.origins).toEqual(DEVELOPMENT_ORIGINS);
    expect(report.options.maxAge).toBe(5);
  });

  it('refuses what the module refuses at boot', () => {
    expect(() => generateCorsPolicy('production', ['http://app.example.com'])).toThrow(SecurityConfigError);
    expect(() => generateCorsPolicy('staging', ['*'], { credentials: true })).toThrow(/credentials/);
  });
});
