import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './doc-blocks';

/**
 * Every option key path of config.example.yaml is listed in docs/configuration.md: under its
 * option name (`rate_limit.max_requests` → `rateLimit.maxRequests`), or, for the file-only JWT
 * shorthands (`auth.secret`...), under its file key.
 */
const PROFILES = new Set(['default', 'development', 'staging', 'production']);
const SHORTHANDS = new Set([
  'auth.algorithm',
  'auth.secret',
  'auth.public_key',
  'auth.private_key',
  'auth.token_expiry',
  'auth.refresh_expiry',
  'auth.issuer',
  'auth.audience',
]);

const camel = (path: string) => path.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function leafPaths(value: unknown, prefix: string): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) =>
    leafPaths(child, prefix ? `${prefix}.${key}` : key),
  );
}

describe('config.example.yaml and docs/configuration.md', () => {
  const yaml = parse(readFileSync(join(ROOT, 'config.example.yaml'), 'utf8')) as Record<string, unknown>;
  const page = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const paths = [
    ...new Set(
      Object.entries(yaml).flatMap(([section, body]) => {
        if (!PROFILES.has(section)) throw new Error(`config.example.yaml: unexpected top-level section ${section}`);
        return leafPaths(body, '');
      }),
    ),
  ].sort();

  it('reads the key paths of every profile section', () => {
    expect(paths).toEqual(expect.arrayContaining(['rate_limit.max_requests', 'storage.key_prefix', 'auth.secret']));
  });

  it.each(paths)('documents %s', (path) => {
    const documented = SHORTHANDS.has(path) ? `\`${path}\`` : `\`${camel(path)}\``;
    expect({ documented, found: page.includes(documented) }).toEqual({ documented, found: true });
  });
});
