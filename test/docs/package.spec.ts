import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './doc-blocks';

/**
 * What the published package carries: its licence, where it lives, and the TypeScript sources its
 * source maps point to (dist/*.js.map name `../src/*.ts`).
 */
interface PackageJson {
  license: string;
  files: string[];
  keywords?: string[];
  repository?: { url: string };
  bugs?: { url: string };
  homepage?: string;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const buildConfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
  compilerOptions: { rootDir: string; sourceMap?: boolean };
};
const baseConfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as {
  compilerOptions: { sourceMap?: boolean };
};

it('ships an MIT LICENSE naming the contributors', () => {
  expect(pkg.license).toBe('MIT');
  expect(pkg.files).toContain('LICENSE');
  const text = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  expect(text).toMatch(/^MIT License/);
  expect(text).toContain('nestjs-rampart contributors');
});

it('says where the project lives', () => {
  expect(pkg.repository?.url).toMatch(/github\.com\/nestjs-rampart\/nestjs-rampart/);
  expect(pkg.bugs?.url).toMatch(/\/issues$/);
  expect(pkg.homepage).toMatch(/^https:\/\//);
  expect(pkg.keywords).toEqual(expect.arrayContaining(['nestjs', 'security']));
});

it('ships the sources its source maps point to, without the specs', () => {
  // The build emits maps (a deliberate choice: stack traces map to the TypeScript that is shipped).
  expect(buildConfig.compilerOptions.sourceMap ?? baseConfig.compilerOptions.sourceMap).toBe(true);
  expect(pkg.files).toEqual(expect.arrayContaining([buildConfig.compilerOptions.rootDir, '!src/**/*.spec.ts']));
});

it('ships the docs the README links to', () => {
  expect(pkg.files).toContain('docs');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const [, target] of readme.matchAll(/\]\(((?:docs|bench)\/[^)#]+)/g)) {
    expect(existsSync(join(ROOT, target))).toBe(true);
  }
});
