import { SecurityConfigError } from '../core/errors/security-config.error';
import { runCorsCli } from './cli';
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

describe('rampart-cors CLI', () => {
  function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = runCorsCli(
      args,
      (l) => out.push(l),
      (l) => err.push(l),
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('prints the policy and its explanation', () => {
    const r = run(['staging', 'https://staging.example.com,https://*.preview.example.com', '--credentials']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/cors\.environments\.staging =/);
    expect(r.out).toMatch(/"credentials": true/);
    expect(r.out).toMatch(/any subdomain of preview\.example\.com/);
  });

  it('prints JSON with --json', () => {
    const r = run(['production', 'https://a.example.com', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({
      environment: 'production',
      options: { origins: ['https://a.example.com'] },
    });
  });

  it('exits 1 with the boot error for a dangerous policy and 2 for bad usage', () => {
    const bad = run(['production', 'null']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/"null" origin/);
    expect(run(['prod']).code).toBe(2);
    expect(run(['development', '--nope']).code).toBe(2);
  });
});
