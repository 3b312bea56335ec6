import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSecurityConfig } from '../config/load-security-config';
import { resolveSecurityOptions } from '../security.options';
import { isOriginAllowed } from './cors-origin.util';

const YAML = `
default:
  headers:
    custom:
      x-api-version: "2"
  signing:
    keys:
      partner_key_1: \${PARTNER_KEY}
    tolerance_seconds: 120
development:
  cors:
    origins: ["http://localhost:5173"]
    max_age: 5
production:
  cors:
    origins: ["https://app.example.com", "https://*.example.com"]
    allowed_headers: [Authorization, Content-Type]
    credentials: true
`;

describe('edge options from the configuration file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-edge-config-'));
  const path = join(dir, 'security.yaml');
  writeFileSync(path, YAML);
  const env = { PARTNER_KEY: 'partner-secret-from-the-environment-0123' };

  it('gives each environment its own CORS policy', () => {
    const dev = resolveSecurityOptions(loadSecurityConfig(path, { profile: 'development', env }));
    expect(isOriginAllowed(dev.cors, 'http://localhost:5173')).toBe(true);
    expect(dev.cors.maxAge).toBe(5);
    const prod = resolveSecurityOptions(loadSecurityConfig(path, { profile: 'production', env }));
    expect(isOriginAllowed(prod.cors, 'http://localhost:5173')).toBe(false);
    expect(isOriginAllowed(prod.cors, 'https://api.example.com')).toBe(true);
    expect(prod.cors.credentials).toBe(true);
    expect(prod.cors.allowedHeaders).toEqual(['Authorization', 'Content-Type']);
  });

  it('keeps key ids and custom header names as written', () => {
    const options = resolveSecurityOptions(loadSecurityConfig(path, { profile: 'production', env }));
    expect([...options.signing.keys.keys()]).toEqual(['partner_key_1']);
    expect(options.signing.toleranceSeconds).toBe(120);
    expect(options.headers.set).toContainEqual(['x-api-version', '2']);
  });
});
