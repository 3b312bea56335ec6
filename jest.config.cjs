/**
 * Jest runs TypeScript through @swc/jest (decorators + metadata on). NestJS 12 and jose ship as ESM,
 * so @nestjs packages and jose are transformed too (Jest's module registry does not do Node's
 * require(esm)), and the few ESM-only packages GraphQL servers pull in; everything else in
 * node_modules is left alone.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // ESM-only packages below (content-disposition, required by @fastify/static under mercurius;
  // mercurius' dynamic import of quick-lru) are transformed as well.
  transformIgnorePatterns: [
    '^(?!.*/node_modules/(content-disposition|mercurius|quick-lru)/).*/node_modules/(?!(@nestjs|jose)/)',
  ],
  moduleNameMapper: { '^nestjs-rampart$': '<rootDir>/src/index.ts' },
  setupFiles: ['reflect-metadata'],
};
module.exports = {
  globalSetup: '<rootDir>/test/utils/redis.global-setup.ts',
  globalTeardown: '<rootDir>/test/utils/redis.global-teardown.ts',
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    // README.md and docs/: code blocks compile, curl examples run against the sample app.
    // Their examples import './app.module.js' as ESM apps do: map it to the TypeScript file.
    {
      ...common,
      displayName: 'docs',
      testMatch: ['<rootDir>/test/docs/**/*.spec.ts'],
      moduleNameMapper: { ...common.moduleNameMapper, '^(\\.{1,2}/.*)\\.js$': '$1' },
    },
  ],
};
