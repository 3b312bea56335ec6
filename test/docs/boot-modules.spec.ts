import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ADAPTERS, bootApp } from '../utils/app';
import { blockPath, docFiles, removeGenerated, ROOT, tsBlocks, writeBlocks } from './doc-blocks';

/**
 * Compiling is not enough: every `AppModule` a page of the docs declares must also boot, so an
 * option the validation refuses at boot (an unknown key, a role no one defines, a short secret) is
 * caught here. The environment the examples read is provided: secrets, the test Redis, the PEM
 * files the RS256 example loads from `keys/`, and `security.yaml` copied from config.example.yaml
 * as docs/configuration.md says.
 */
const FOLDER = `boot-${process.pid}`;
const secret = () => randomBytes(48).toString('base64url');
const ENV: Record<string, string> = {
  JWT_SECRET: secret(),
  API_KEY_PEPPER: secret(),
  SESSION_CSRF_SECRET: secret(),
  SIGNING_KEY_OLD: secret(),
  SIGNING_KEY_NEW: secret(),
  WH_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  WH_SECRET_OLD: `whsec_${randomBytes(24).toString('base64')}`,
  GITHUB_WEBHOOK_SECRET: secret(),
  STRIPE_WEBHOOK_SECRET: secret(),
};

const modules = docFiles().flatMap((file) =>
  tsBlocks(file)
    .filter((b) => /^export class AppModule\b/m.test(b.code))
    .map((block) => [`${block.file}:${block.line}`, block] as const),
);

let cwd: string;
let keysDir: string;
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  for (const [name, value] of Object.entries(ENV)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  keysDir = mkdtempSync(join(tmpdir(), 'rampart-docs-keys-'));
  mkdirSync(join(keysDir, 'keys'));
  for (const kid of ['key-a', 'key-b']) {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(keysDir, 'keys', `${kid}.pub.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
  }
  copyFileSync(join(ROOT, 'config.example.yaml'), join(keysDir, 'security.yaml'));
  cwd = process.cwd();
  process.chdir(keysDir); // the RS256 example reads keys/*.pem relative to the working directory
  for (const file of new Set(modules.map(([, b]) => b.file))) writeBlocks(FOLDER, file);
});

afterAll(() => {
  process.chdir(cwd);
  rmSync(keysDir, { recursive: true, force: true });
  removeGenerated(FOLDER);
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

it('finds the modules of the docs', () => {
  expect(modules.length).toBeGreaterThan(15);
});

it.each(modules)('%s boots', async (_, block) => {
  const path = blockPath(join(ROOT, '.docs-generated', FOLDER), block);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the page's own module, written out in beforeAll
  const { AppModule } = require(path) as { AppModule: Type };
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  await app.close();
});

describe('docs/authentication.md recipe', () => {
  const dir = () => join(ROOT, '.docs-generated', FOLDER, 'docs-authentication');

  it.each(ADAPTERS)(
    'answers a wrong password with 401 INVALID_CREDENTIALS, like the sample app (%s)',
    async (adapter) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the page's own module
      const { AppModule } = require(join(dir(), 'app.module.ts')) as { AppModule: Type };
      const { app, url } = await bootApp(adapter, AppModule);
      try {
        const res = await fetch(`${url}/auth/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: 'carol', password: 'wrong' }),
        });
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({
          code: 'INVALID_CREDENTIALS',
          message: 'Invalid username or password',
        });
      } finally {
        await app.close();
      }
    },
  );

  it('needs isGlobal: without it, AuthModule cannot inject TokenService', async () => {
    const source = readFileSync(join(dir(), 'app.module.ts'), 'utf8');
    const variant = source.replace('isGlobal: true, ', '');
    expect(variant).not.toBe(source);
    writeFileSync(join(dir(), 'app-without-global.module.ts'), variant);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the variant written just now
    const { AppModule } = require(join(dir(), 'app-without-global.module.ts')) as { AppModule: Type };
    await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow(/TokenService/);
  });
});
